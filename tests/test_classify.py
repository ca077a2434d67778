"""Classifying police replies: the labelled corpus at 100%, and the edge cases one by one."""

from __future__ import annotations

import io
import json
from bisect import bisect_right
from collections import Counter
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest

from foibot.rules.classify import (KINDS, SUBSTANTIVE, classify, find_sections, parse_date,
                                   reads_as_reply)
from foibot.mail.parse import parse

CORPUS = Path(__file__).parent / "corpus"
OUR_LETTER = (
    "Dear Freedom of Information Officer,\n"
    "Please provide the number of officers investigated, per year since 2015.\n"
    "If any part is refused under section 12 because it would exceed the appropriate limit,\n"
    "please provide what you can and say what is not held. Our reference is FOI-7K3QD.\n"
)


def mail(
    body: str = "",
    *,
    subject: str = "RE: Freedom of Information request FOI-7K3QD",
    headers: dict[str, str] | None = None,
    html: str | None = None,
    attachments: tuple[tuple[str, str, bytes], ...] = (),
    charset: str = "utf-8",
) -> bytes:
    """A reply from a force as raw bytes: plain and/or HTML body, headers, attachments."""
    msg = EmailMessage()
    msg["From"] = "Freedom of Information <foi@kent.police.uk>"
    msg["To"] = "jane+FOI-7K3QD@newsroom.example"
    msg["Subject"] = subject
    msg["Date"] = "Tue, 06 Jan 2026 14:05:00 +0000"
    for name, value in (headers or {}).items():
        msg[name] = value
    if body:
        msg.set_content(body, charset=charset)
        if html:
            msg.add_alternative(html, subtype="html")
    elif html:
        msg.set_content(html, subtype="html")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


def kind_of(raw: bytes) -> str:
    return classify(parse(raw)).kind


DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def docx_bytes(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    writer.encrypt("force-only-password", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- the corpus -----------------------------------------------------------------------------


def test_corpus_is_classified_exactly() -> None:
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    assert len(expected) >= 48, "the corpus should hold at least 48 labelled replies"
    per_kind: Counter[str] = Counter()
    right: Counter[str] = Counter()
    wrong: list[str] = []
    for name, label in sorted(expected.items()):
        result = classify(parse((CORPUS / name).read_bytes()))
        got = {"kind": result.kind, "sections": list(result.sections),
               "force_reference": result.force_reference}
        optional = {"failed_recipient": result.failed_recipient,
                    "extension_until": _iso(result.extension_until),
                    "stated_due": _iso(result.stated_due)}
        got.update({key: value for key, value in optional.items() if key in label})
        want = {key: label[key] for key in got}
        if want.get("failed_recipient"):  # as the bounce writes it; compared in any case
            want["failed_recipient"] = want["failed_recipient"].lower()
            got["failed_recipient"] = (got["failed_recipient"] or "").lower()
        per_kind[label["kind"]] += 1
        if got == want:
            right[label["kind"]] += 1
        else:
            diff = {key: (want[key], got[key]) for key in got if got[key] != want[key]}
            wrong.append(f"{name}: {diff} evidence={list(result.evidence)}")
    report = ["kind                      right/total"]
    report += [f"{kind:<26}{right[kind]}/{per_kind[kind]}" for kind in KINDS if per_kind[kind]]
    total = sum(per_kind.values())
    report.append(f"{'all':<26}{sum(right.values())}/{total}")
    print("\n".join(report))
    assert not wrong, "\n".join(report + ["mismatches (expected, got):"] + wrong)


def test_corpus_labels_use_known_kinds() -> None:
    expected = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
    assert {label["kind"] for label in expected.values()} <= set(KINDS)
    assert all((CORPUS / name).is_file() for name in expected)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


# --- auto-replies and acknowledgements --------------------------------------------------------

ACK = ("Thank you for your request for information, which has been logged under reference "
       "FOI 2026/01234. We will respond within 20 working days, by 3 February 2026.")


def test_auto_submitted_acknowledgement_is_not_out_of_office() -> None:
    result = classify(parse(mail(ACK, headers={"Auto-Submitted": "auto-replied"})))
    assert result.kind == "acknowledgement"
    assert "header Auto-Submitted: auto-replied" in result.evidence
    assert result.stated_due == date(2026, 2, 3)
    assert result.force_reference == "FOI 2026/01234"
    assert result.sections == ()


def test_out_of_office_needs_away_wording() -> None:
    away = "I am out of the office on annual leave until 12 January with no access to email."
    result = classify(parse(mail(away, subject="Automatic reply: FOI-7K3QD",
                                 headers={"Auto-Submitted": "auto-replied"})))
    assert result.kind == "auto_reply"
    assert "header Auto-Submitted: auto-replied" in result.evidence
    assert any(item.startswith("text: ") for item in result.evidence)


def test_same_away_words_without_auto_headers_are_not_an_auto_reply() -> None:
    human = "We do not hold this information. I am on annual leave from tomorrow."
    assert kind_of(mail(human)) == "not_held"


def test_acknowledgement_boilerplate_about_costs_is_not_a_refusal() -> None:
    ack = ACK + (" Please note that if the cost of compliance would exceed the appropriate limit "
                 "of £450 we may not be able to answer.")
    result = classify(parse(mail(ack, headers={"Auto-Submitted": "auto-generated"})))
    assert (result.kind, result.sections) == ("acknowledgement", ())


def test_person_written_acknowledgement_with_conditional_refusal_wording() -> None:
    body = ("I acknowledge receipt of your request. Please note that if it would exceed the "
            "£450 appropriate limit we may have to refuse it under section 12. If we do not hold "
            "the information we will say so. We will respond by 1 December 2026.")
    result = classify(parse(mail(body)))
    assert (result.kind, result.sections, result.stated_due) == (
        "acknowledgement", (), date(2026, 12, 1))


# --- judging the force's words only ----------------------------------------------------------


def test_quoted_copy_of_our_letter_is_ignored() -> None:
    quoted = "\n".join("> " + line for line in OUR_LETTER.splitlines())
    body = f"I can confirm that Kent Police does not hold this information.\n\n{quoted}"
    result = classify(parse(mail(body)))
    assert (result.kind, result.sections) == ("not_held", ())
    outlook = ("Kent Police does not hold this information.\n\nFrom: Jane Reporter\n"
               "Sent: 05 January 2026 10:00\nTo: FOI\nSubject: FOI-7K3QD\n\n" + OUR_LETTER)
    assert classify(parse(mail(outlook))).sections == ()


def test_html_only_refusal() -> None:
    html = ("<html><body><p>Dear Ms Reporter,</p><p>Your request would <b>exceed the appropriate"
            " limit</b> under Section 12(1) of the Act.</p><div>Our Ref: 000123/26</div>"
            "</body></html>")
    result = classify(parse(mail(html=html)))
    assert result.kind == "rejected"
    assert result.sections == ("12(1)",)
    assert result.force_reference == "000123/26"


def test_windows_1252_quoted_printable_refusal() -> None:
    raw = (b"From: foi@kent.police.uk\r\nSubject: FOI\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: text/plain; charset=windows-1252\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           b"To comply would cost more than =A3450 =96 so section 12 applies and we are=\r\n"
           b" unable to comply with your request.\r\n")
    result = classify(parse(raw))
    assert result.kind == "rejected"
    assert any("£450" in item for item in result.evidence)


def test_covering_email_takes_its_kind_from_the_attachment() -> None:
    letter = docx_bytes("Dear Ms Reporter,", "Kent Police does not hold the information you "
                        "requested.", "Reference No: IM-FOI-2026-1234")
    raw = mail("Please find attached our response.",
               attachments=(("FOI 1234 Response.docx", DOCX_TYPE, letter),))
    result = classify(parse(raw))
    assert result.kind == "not_held"
    assert result.force_reference == "IM-FOI-2026-1234"
    assert any(item.startswith('attachment "FOI 1234 Response.docx"') for item in result.evidence)


def test_spreadsheet_attachment_is_a_disclosure() -> None:
    raw = mail("Please find attached our response.",
               attachments=(("Figures.csv", "text/csv", b"year,officers\n2024,17\n"),))
    result = classify(parse(raw))
    assert result.kind == "successful"
    assert 'attachment "Figures.csv"' in result.evidence


def test_encrypted_pdf_is_a_problem_not_an_exception() -> None:
    raw = mail("Please find attached our response.",
               attachments=(("FOI 1234 Response.pdf", "application/pdf", encrypted_pdf()),))
    parsed = parse(raw)
    assert parsed.attachments[0].problem == "encrypted PDF"
    result = classify(parsed)
    # the answer is in a document nobody can read: say so, and wait for a person
    assert result.kind == "unknown" and result.needs_review
    assert result.evidence == ('text: "please find attached our response"',
                               'attachment "FOI 1234 Response.pdf" (encrypted PDF)')


def test_hostile_attachment_name_is_safe_in_evidence() -> None:
    raw = mail("Please find attached.",
               attachments=(("../../etc/Data.csv", "text/csv", b"a,b\n1,2\n"),))
    parsed = parse(raw)
    assert parsed.attachments[0].filename == "Data.csv"
    assert 'attachment "Data.csv"' in classify(parsed).evidence


# --- substantive precedence -----------------------------------------------------------------


def test_partial_disclosure_with_personal_data_withheld() -> None:
    body = ("Please find the information below.\nQ1: 17 officers in 2024.\n"
            "Names of officers are withheld under Section 40(2) (personal information).")
    result = classify(parse(mail(body)))
    assert (result.kind, result.sections) == ("partially_successful", ("40(2)",))


def test_cost_refusal_with_advice_to_narrow_is_rejected_not_clarification() -> None:
    body = ("To locate this information would exceed the appropriate limit of 18 hours, so "
            "section 12 applies and this letter is a refusal notice.\nAdvice and assistance "
            "(section 16): you may wish to narrow your request, for example to one year. Could "
            "you please clarify which year matters most?")
    result = classify(parse(mail(body)))
    assert (result.kind, result.sections) == ("rejected", ("12",))


def test_clarification_stops_the_clock() -> None:
    body = ("Before we can answer, could you please clarify what you mean by 'investigated'? "
            "Your request is on hold until we receive your clarification.")
    assert kind_of(mail(body)) == "clarification"


def test_ncnd_refusal() -> None:
    body = ("Kent Police can neither confirm nor deny that it holds the information, by virtue "
            "of sections 23(5), 24(2) and s.31(3).")
    result = classify(parse(mail(body)))
    assert result.kind == "rejected" and result.ncnd
    assert result.sections == ("23(5)", "24(2)", "31(3)")


def test_vexatious_refusal() -> None:
    body = "We consider this request vexatious under section 14(1) and will not comply."
    result = classify(parse(mail(body)))
    assert (result.kind, result.sections) == ("rejected", ("14(1)",))


def test_review_outcome_takes_precedence() -> None:
    body = ("I have now completed the internal review. The original decision to apply section "
            "12 is upheld, as compliance would exceed the appropriate limit.")
    result = classify(parse(mail(body)))
    assert (result.kind, result.sections) == ("review_outcome", ("12",))


def test_boilerplate_review_rights_do_not_make_a_review_outcome() -> None:
    body = ("We do not hold this information.\nIf you are dissatisfied you may request an "
            "internal review within 40 working days.")
    assert kind_of(mail(body)) == "not_held"


def test_fee_notice() -> None:
    body = ("This is a fees notice under section 9. Disbursement costs for copying are £12.50; "
            "payment is required before we can release the information.")
    result = classify(parse(mail(body)))
    assert (result.kind, result.sections) == ("fee", ())


def test_public_interest_extension_parses_the_new_date() -> None:
    body = ("We need further time to consider the public interest test for the exemption at "
            "section 31(1)(a), as allowed by section 10(3). We aim to respond by 15/01/2027.")
    result = classify(parse(mail(body)))
    assert result.kind == "extension"
    assert result.extension_until == date(2027, 1, 15)
    assert result.sections == ("31(1)(a)",)


# --- bounces --------------------------------------------------------------------------------


def dsn(action: str, status: str) -> bytes:
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.newsroom.example>\r\n"
        b"To: jane@newsroom.example\r\nSubject: Delivery Status Notification\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nDelivery report.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.newsroom.example\r\n\r\n"
        b"Final-Recipient: rfc822; foi@old.pnn.police.uk\r\n"
        + f"Action: {action}\r\nStatus: {status}\r\n".encode()
        + b"Diagnostic-Code: smtp; 550 5.1.1 <foi@old.pnn.police.uk>: User unknown\r\n"
        b"--B--\r\n"
    )


def test_failed_dsn_is_a_bounce_with_recipient_and_reason() -> None:
    result = classify(parse(dsn("failed", "5.1.1")))
    assert result.kind == "bounce"
    assert result.failed_recipient == "foi@old.pnn.police.uk"
    assert result.bounce_reason == "5.1.1 550 5.1.1 <foi@old.pnn.police.uk>: User unknown"


def test_delayed_dsn_is_not_a_bounce() -> None:
    # a machine's notice that nothing has failed yet: no reply, nothing to review or act on
    result = classify(parse(dsn("delayed", "4.4.7")))
    assert (result.kind, result.failed_recipient, result.needs_review) == (
        "auto_reply", None, False)
    assert result.evidence == ("delivery-status: Action: delayed (not a failure)",)


def test_non_standard_bounce_is_recognised() -> None:
    raw = (b"From: Mail Delivery System <Mailer-Daemon@mx.newsroom.example>\r\n"
           b"To: jane@newsroom.example\r\nSubject: Mail delivery failed: returning message to "
           b"sender\r\nX-Failed-Recipients: foi@gone.police.uk\r\n\r\n"
           b"This message was created automatically by mail delivery software.\r\n\r\n"
           b"A message that you sent could not be delivered to one or more of its\r\n"
           b"recipients. This is a permanent error. The following address(es) failed:\r\n\r\n"
           b"  foi@gone.police.uk\r\n    SMTP error from remote mail server after RCPT "
           b"TO:<foi@gone.police.uk>:\r\n    550 5.1.1 No such user\r\n")
    result = classify(parse(raw))
    assert (result.kind, result.failed_recipient) == ("bounce", "foi@gone.police.uk")
    assert result.bounce_reason and "5.1.1" in result.bounce_reason


# --- sections, references, dates --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sections"),
    [
        ("exempt under section 12", ("12",)),
        ("s.40(2) applies", ("40(2)",)),
        ("Section 31(1)(a) and (b)", ("31(1)(a)",)),
        ("s 30 is engaged", ("30",)),
        ("sections 30 and 31 apply", ("30", "31")),
        ("s40(5) NCND", ("40(5)",)),
        ("Section 40 (2) and Section 40(2)", ("40(2)",)),
        ("Section 40 - personal information. Section 40(2) applies", ("40(2)",)),
        ("sections 24(2), 31(3) & 40(5)", ("24(2)", "31(3)", "40(5)")),
        ("s.38(1)(a), s.38(1)(b) and s.30(1)", ("30(1)", "38(1)(a)", "38(1)(b)")),
        ("section 1(1)(a), section 16, s.17, section 10(3), s.9 and s.13", ()),
        ("offences under section 5 of the Firearms Act 1968", ()),
        ("section 40(2) of the Freedom of Information Act 2000", ("40(2)",)),
        ("the force's 30 officers", ()),
    ],
)
def test_sections_are_normalised(text: str, sections: tuple[str, ...]) -> None:
    assert find_sections([("text", text.lower())])[0] == sections


@pytest.mark.parametrize(
    ("subject", "body", "reference"),
    [
        ("RE: FOI-7K3QD", "Our Ref: 000123/26\nYour Ref: FOI-7K3QD", "000123/26"),
        ("FOI 2026/01234 - Response", "We do not hold it.", "FOI 2026/01234"),
        ("RE: FOI-7K3QD", "Reference No: IM-FOI-2026-1234", "IM-FOI-2026-1234"),
        ("Request F-2026-01234", "We do not hold it.", "F-2026-01234"),
        ("RE: FOI-7K3QD", "Your reference: FOI-7K3QD. We do not hold it.", None),
    ],
)
def test_force_reference_is_never_ours(subject: str, body: str, reference: str | None) -> None:
    assert classify(parse(mail(body, subject=subject))).force_reference == reference


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 January 2027", date(2027, 1, 15)),
        ("Friday 15th January 2027", date(2027, 1, 15)),
        ("15/01/2027", date(2027, 1, 15)),
        ("January 15, 2027", date(2027, 1, 15)),
        ("2027-01-15", date(2027, 1, 15)),
        ("31/02/2027", None),
    ],
)
def test_dates_in_letters(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


def test_kinds_and_substantive_are_consistent() -> None:
    assert SUBSTANTIVE < set(KINDS)
    assert classify(parse(b"")).kind == "unknown"


# --- readings that went wrong on real letters (issue 9), as real-shaped messages ------------


@pytest.mark.parametrize(("body", "kind"), [
    ("Freedom of Information Request Reference No: 2021/0412\n\nUnder section 1(1)(a) of the "
     "Freedom of Information Act 2000 I can confirm that the force does hold the information "
     "you have requested. Please find below answers to your questions:\n\n1. How many "
     "officers were investigated?\n222\n\n2. How many were dismissed?\n14\n", "successful"),
    ("Thank you for your request.\n\nTo enable us to meet your request could you please "
     "provide this office with further information. In particular, please clarify what you "
     "mean by 'offensive' in question 2.\n", "clarification"),
    ("Please see the attached document.\n\nNorfolk Constabulary is unable to provide the "
     "vehicle location data requested at question 3, as this information is exempt by virtue "
     "of Section 31(1) (Law Enforcement).\n", "partially_successful"),
    ("Please find below our response to your request.\n\nThe force holds the information you "
     "requested. Between 2015 and 2021, 126 officers were the subject of allegations relating "
     "to social media use, and 9 officers were dismissed.\n\nThis completes our response.\n",
     "successful"),
])
def test_letters_that_were_misread(body: str, kind: str) -> None:
    result = classify(parse(mail(body)))
    assert result.kind == kind, result.evidence
    assert not result.needs_review


def test_automatic_receipt_of_a_review_request_is_not_its_outcome() -> None:
    body = ("Thank you for your request for an internal review, which has been received by the "
            "Information Rights team. Your request will be dealt with within 20 working days.")
    result = classify(parse(mail(body, headers={"Auto-Submitted": "auto-replied"})))
    assert result.kind == "acknowledgement" and not result.needs_review


def test_confidence_says_when_foibot_is_unsure() -> None:
    sure = classify(parse(mail("We do not hold the information you have requested.")))
    unsure = classify(parse(mail("Kind regards,\nThe FOI team")))
    assert 0 <= unsure.confidence < sure.confidence <= 1
    assert unsure.needs_review and not sure.needs_review
    assert classify(parse(mail("Kind regards"))).as_dict()["needs_review"] is True


def test_an_act_scan_is_skipped_only_when_it_could_not_have_matched():
    """Skipping the scan of an act whose required words a letter lacks is a shortcut, never a
    change of reading: every match, in every development letter, holds one of them."""
    from foibot.rules.classify import letter as letter_mod, lexicon
    from foibot.rules.classify.text import sentences
    from tests.realcorpus import load, to_eml

    patterns = [p for _, p in letter_mod._ACTS] + [lexicon.COVER_ONLY]
    gated = [p for p in patterns if lexicon.required(p)]
    assert len(gated) >= len(patterns) // 2          # the shortcut is there to be tested
    skipped = matched = 0
    for item in load("dev"):
        parsed = parse(to_eml(item))
        text = "\x00".join(s.text for s in sentences("text", parsed.new_text))
        for pattern in gated:
            needed = lexicon.required(pattern)
            assert needed
            present = any(word in text for word in needed)
            if pattern.search(text):
                matched += 1
                assert present, (item.id, pattern.pattern[:60], sorted(needed)[:5])
            skipped += not present
    assert matched > 100 and skipped > 100


def test_scanning_only_the_sentences_that_could_match_finds_what_a_whole_scan_finds():
    """An act's pattern runs only over the sentences holding one of its required words (and,
    for most acts, not over boilerplate): a shortcut, never a change of reading. Over every
    development letter, it yields exactly the matches of a scan of the whole letter, and no
    match crosses from one sentence into the next."""
    from foibot.rules.classify import letter as letter_mod, lexicon
    from foibot.rules.classify.text import sentences
    from tests.realcorpus import load, to_eml

    patterns = [p for _, p in letter_mod._ACTS] + [lexicon.COVER_ONLY]
    compared = narrowed = 0
    for item in load("dev"):
        parsed = parse(to_eml(item))
        found = sentences("text", parsed.new_text)
        text = letter_mod._Joined(found)
        for pattern in patterns:
            whole = [(m.start(), m.group(0)) for m in pattern.finditer(text.joined)]
            assert not any("\x00" in words for _, words in whole), (item.id, pattern.pattern[:60])
            assert [(m.start(), m.group(0)) for m in text.scan(pattern, boilerplate=True)] \
                == whole, (item.id, pattern.pattern[:60])
            plain = [(at, words) for at, words in whole
                     if not found[bisect_right(text.starts, at) - 1].boilerplate]
            assert [(m.start(), m.group(0)) for m in text.scan(pattern, boilerplate=False)] \
                == plain, (item.id, pattern.pattern[:60])
            compared += bool(whole)
            narrowed += len(plain) < len(whole)
    assert compared > 300 and narrowed > 10       # matches there were, and some were skipped


def test_shipped_gates_are_those_of_the_patterns():
    """gates.json saves deriving each pattern's required words at start-up; it must say what
    the patterns say (after changing one: lexicon.write_gates())."""
    from foibot.rules.classify import letter as letter_mod, lexicon

    shipped = json.loads(lexicon.GATES.read_text(encoding="utf-8"))
    assert shipped == lexicon.gates()
    for _, pattern in letter_mod._ACTS:
        assert lexicon._key(pattern) in shipped


def test_required_words_of_a_pattern():
    import re

    from foibot.rules.classify.lexicon import derive as required

    assert required(re.compile(r"(?:the )*information held\b")) == {"information held"}
    assert required(re.compile(r"\b(?:refused|ncnd)\b")) == {"refused", "ncnd"}
    assert required(re.compile(r"(?:held)?\d+")) is None              # nothing is required
    assert required(re.compile(r"held", re.IGNORECASE)) is None       # case is not known


# --- how a letter is built: openings, scoped refusals, promises -------------------------------


def test_an_answer_opening_with_the_date_received_is_not_a_receipt() -> None:
    body = ("FREEDOM OF INFORMATION REQUEST REFERENCE NO: 8-2025\n"
            "I write in connection with your request for information which was received on "
            "3rd January 2025 as follows:\n[request omitted]\n"
            "Please find the Warwickshire Police response set out below.\n"
            "Response: Please be advised that not all of the requested information is a")
    result = classify(parse(mail(body)))
    # an answer we cannot see the end of: proposed as one, and left for a person to read
    assert result.kind == "successful" and result.needs_review
    body = ("I write in connection with your request for information which was received on "
            "5th June 2025.\nWe aim to respond within 20 working days.")
    assert classify(parse(mail(body))).kind == "acknowledgement"


def test_a_refusal_under_a_heading_of_some_questions_is_partial() -> None:
    refusal = ("Your request for information has now been considered and I am not obliged to "
               "supply the information you have requested.\n"
               "In relation to your particular request, the following exemption applies:\n"
               "Section 30(1) Investigations and Proceedings.\n")
    headed = classify(parse(mail("RESPONSE\nQuestions 2, 3, 5 & 6\n" + refusal)))
    assert headed.kind == "partially_successful" and headed.needs_review
    assert any("not question 1" in e for e in headed.evidence)
    # no heading: the whole request is refused
    assert classify(parse(mail("RESPONSE\n" + refusal))).kind == "rejected"


def test_a_cost_estimate_naming_one_question_refuses_the_whole_request() -> None:
    body = ("Your request for information has now been considered and I am not obliged to "
            "supply the information you have requested.\n"
            "In relation to your request, the following exemption applies:\n"
            "Section 12 - Exemption where cost of compliance exceeds appropriate limit.\n"
            "The information you have requested for question 3 is not recorded in an easily "
            "retrievable format. It would take in excess of 62 hours to retrieve it.")
    assert classify(parse(mail(body))).kind == "rejected"


def test_all_we_hold_and_for_anything_else_we_rely_on_exemptions() -> None:
    body = ("Below is your request and our response.\n[request omitted]\nAnswer\n"
            "23/24 - 31,075 24/25 - 31,460\n"
            "Above is all the information we will disclose. For anything else we would rely "
            "on the following exemptions.\nSection 31(1) Law Enforcement")
    assert classify(parse(mail(body))).kind == "partially_successful"


def test_advice_and_assistance_beside_a_cost_refusal_gives_something() -> None:
    body = ("Our data are not organised in such a way as to allow us to provide all of this "
            "information within the appropriate (cost) limit.\n"
            "This letter acts as a Refusal Notice for this part of the request and if one part "
            "of a request exceeds the fees limit then S12 of the Act applies to the whole "
            "request.\nHowever, in accordance with section 16 of the Act I have a duty to "
            "provide advice and assistance in relation to your request and can provide the "
            "information requested for questions 1 and 2.")
    assert classify(parse(mail(body))).kind == "partially_successful"


def test_a_promise_of_a_response_reads_as_a_receipt_but_unsure() -> None:
    body = ("Dear Sir/Madam\nWe will aim to provide you with a response within 20 working "
            "days. Please quote the reference above in any further correspondence.")
    result = classify(parse(mail(body)))
    assert result.kind == "acknowledgement" and result.needs_review
    assert not reads_as_reply(result)


def test_the_word_model_names_what_the_rules_cannot_read_but_never_decides() -> None:
    from foibot.rules.classify import MODEL_AT, MODEL_CONFIDENCE, REVIEW_BELOW

    assert MODEL_CONFIDENCE < REVIEW_BELOW and 0 < MODEL_AT < 1
    body = ("Dear requester, thank you for your request. It has been given the reference "
            "number FOI/2026/0042. Kind regards, Freedom of Information Unit")
    assert classify(parse(mail(body)), statistical=False).kind == "unknown"
    result = classify(parse(mail(body)))
    assert result.kind == "acknowledgement"
    assert result.evidence[-1].startswith("word model: reads like acknowledgement")
    assert result.needs_review and result.confidence <= MODEL_CONFIDENCE
    assert not reads_as_reply(result)


@pytest.mark.parametrize("body, kind", [
    ("Freedom of Information (FOI) Act request ref: 01/FOI/24/6958\nThe Operations and Finance "
     "Departments have provided the following information.\n[request question 1 omitted]\n55\n"
     "[request question 2 omitted]\n36", "successful"),
    ("We have made enquiries within the force and the below figures relate only to voluntary "
     "referrals.\n2019: 4\n2020: 7", "successful"),
    ("We have looked at the content of your request and must advise you that we consider the "
     "Freedom of Information Act 2000 Exemption 21 (Information Accessible by other means) is "
     "engaged in relation to this request.", "rejected"),
    ("1 - Section 30(1) - Investigations and proceedings\nWe are obliged to conduct a public "
     "interest test.\nFactors favouring non-disclosure\nAny disclosure could prejudice "
     "ongoing investigations.", "rejected"),
    ("Unfortunately, due to current staffing issues, you may experience some delay with the "
     "response to your request.", "acknowledgement"),
    ("In 2021 there were 14 officers dismissed for gross misconduct. Section 40(2) applies to "
     "the names of those officers, which are exempt personal data.", "partially_successful"),
    ("Having considered your request in relation to 2015/16 and 2016/17, I estimate that it "
     "would cost well in excess of the cost limit of 600 to process your request, so Section "
     "12(1) applies. For the period between 1 April 2017 and 31 March 2018 there were 537 "
     "arrests.", "partially_successful"),
    ("Please find the Warwickshire Police response set out below.\nQ1 response: No "
     "information held.\nQ2 response: This was dealt with by our Legal Services Department "
     "and was signed off at Chief Officer level.", "partially_successful"),
    ("REQUEST\n[request omitted]\nRESPONSE\nPlease see attached document entitled 'Emails "
     "redacted' which includes the correspondence you asked for.", "partially_successful"),
    ("Please find the Warwickshire Police response set out below.\nQ1 response:\n"
     "2020/21 - 20,088\n2021/22 - 45,830\n2022/23 - 23,376\nQ2 & Q3 response: Section 1 of "
     "the Freedom of Information Act 2000 (FOIA) places two duties on public authorities, "
     "unless exemptions apply.", "partially_successful"),
])
def test_national_template_phrases(body: str, kind: str) -> None:
    assert classify(parse(mail(body)), statistical=False).kind == kind


def test_a_warning_of_possible_delay_is_not_a_sure_extension() -> None:
    warned = classify(parse(mail("We are currently experiencing a high volume of requests and "
                                 "there may be a delay in responding.")))
    assert warned.kind == "extension" and warned.needs_review
    notice = classify(parse(mail("Unfortunately we will not be able to respond within the "
                                 "statutory 20 working days. We now expect to respond by "
                                 "14 March 2026.")))
    assert notice.kind == "extension" and not notice.needs_review


def test_a_sure_reading_the_word_model_strongly_disputes_waits_for_a_person(monkeypatch) -> None:
    from foibot.rules.classify import model as model_mod

    body = ("Your request for information was received on 3 March 2025.\nWe have carried "
            "out searches of the Professional Standards Department database. This completes "
            "our response.")
    sure = classify(parse(mail(body)))
    assert sure.kind == "acknowledgement" and not sure.needs_review
    # a model that reads "completes our response" as an answer, as one trained on letters
    # that end that way would
    answer_words = model_mod.Model(("acknowledgement", "successful"), (0.0, 0.0),
                                   {"completes our": (-2.0, 2.0)})
    monkeypatch.setattr(model_mod, "shipped", lambda: answer_words)
    disputed = classify(parse(mail(body)))
    assert disputed.kind == "acknowledgement" and disputed.needs_review
    assert disputed.evidence[-1].startswith("word model disagrees: reads like successful")
    assert not reads_as_reply(disputed)
    # without the model, the rules' reading stands
    assert not classify(parse(mail(body)), statistical=False).needs_review


def test_a_receipt_that_counts_something_may_be_an_answer_read_short() -> None:
    body = ("Your request for information was received on 3 March 2025 and has been logged.\n"
            "Between 2015 and 2021, 126 officers were the subject of allegations.")
    result = classify(parse(mail(body)), statistical=False)
    assert result.kind == "acknowledgement" and result.needs_review
    assert any("126 officers" in e for e in result.evidence)


def test_a_restated_request_item_is_not_an_answer() -> None:
    body = ("You asked:\n1. The number of officers dismissed for misconduct each year since "
            "2015\n2. The ranks of those officers\nResponse 1:\nThe information is exempt "
            "under section 40(2) and will not be disclosed.\nResponse 2:\nThe information is "
            "exempt under section 40(2) and will not be disclosed.")
    result = classify(parse(mail(body)), statistical=False)
    assert result.kind == "rejected"

"""What a police force's reply is: the rules, pure, over a :class:`~foibot.mailparse.ParsedEmail`.

The kinds follow WhatDoTheyKnow's request states. Every decision carries its ``evidence`` (the
header or the words that decided it) so a user can check a classification in seconds, and the
rules judge only the force's own words: the new text of the mail and its attachments, never the
quoted copy of our letter.

    >>> from foibot.mail.parse import parse
    >>> mail = parse(b"Subject: FOI 2026/00123\\r\\n\\r\\nThe information is not held.")
    >>> result = classify(mail)
    >>> result.kind, result.force_reference
    ('not_held', 'FOI 2026/00123')
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from foibot.mail.parse import ParsedEmail

# flufl.bounce logs a traceback whenever one of its detectors trips over odd mail; the
# classifier already treats that as "no bounce found", so keep it off the user's terminal.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())
logging.getLogger("flufl.bounce").propagate = False

KINDS = (
    "acknowledgement",
    "clarification",
    "fee",
    "extension",
    "successful",
    "partially_successful",
    "not_held",
    "rejected",
    "review_outcome",
    "auto_reply",
    "bounce",
    "unknown",
)
SUBSTANTIVE = frozenset({"successful", "partially_successful", "not_held", "rejected"})


@dataclass(frozen=True)
class Classification:
    kind: str
    sections: tuple[str, ...]
    force_reference: str | None
    evidence: tuple[str, ...]
    ncnd: bool = False
    extension_until: date | None = None
    stated_due: date | None = None
    failed_recipient: str | None = None
    bounce_reason: str | None = None
    confidence: str = "rule"

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (dates as ISO strings), as ``foibot classify --json`` prints."""
        return {
            "kind": self.kind,
            "sections": list(self.sections),
            "force_reference": self.force_reference,
            "evidence": list(self.evidence),
            "ncnd": self.ncnd,
            "extension_until": self.extension_until.isoformat() if self.extension_until else None,
            "stated_due": self.stated_due.isoformat() if self.stated_due else None,
            "failed_recipient": self.failed_recipient,
            "bounce_reason": self.bounce_reason,
            "confidence": self.confidence,
        }


# --- the words of the field ----------------------------------------------------------------
# Each pattern runs on whitespace-collapsed, lower-cased text with plain quotes and hyphens.


def _words(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


AWAY = _words(
    r"\bout of (?:the )?office\b",
    r"\bi am (?:currently )?(?:away|out|off|absent|not in|on leave)\b",
    r"\bi'm (?:currently )?(?:away|out|off|on leave)\b",
    r"\bon (?:annual|maternity|paternity|parental|sick|study|long[- ]term) leave\b",
    r"\baway from (?:the|my) (?:office|desk)\b",
    r"\b(?:limited|no) access to (?:my )?e-?mails?\b",
    r"\bback in the office\b",
    r"\buntil my return\b",
    r"\bon my return\b",
    r"\bno longer (?:work|working|employed) (?:for|at|with)\b",
    r"\b(?:mailbox|inbox|e-?mail address) is (?:no longer|not) (?:monitored|in use|active)\b",
)
RECEIPT = _words(
    r"\backnowledge (?:the )?receipt\b",
    r"\bconfirm(?:ing)? (?:the )?receipt\b",
    r"\b(?:we|i) (?:have|has) (?:now )?received your (?:freedom of information |foi |"
    r"information )?(?:request|e-?mail|application)\b",
    r"\byour (?:freedom of information |foi |information )?(?:request|e-?mail|application) "
    r"(?:has been|was|is being) (?:received|logged|registered|recorded|passed|allocated|"
    r"assigned)\b",
    r"\b(?:has|have) been (?:logged|registered)\b",
    r"\bis being (?:processed|dealt with|handled)\b",
    r"\bwill be dealt with\b",
    r"\b(?:aim|endeavour|expect) to (?:respond|reply|provide a response)\b",
    r"\bwill (?:respond|reply|provide (?:you with )?a response|receive a response|be answered)"
    r"(?: to (?:you|your request))?(?: promptly and)? (?:within|by|no later than)\b",
    r"\b(?:has been|was) passed to (?:a|the) (?:case officer|disclosure|freedom of information|"
    r"foi|relevant)\b",
    r"\bresponse (?:is )?due\b",
    r"\bdue date\b",
    r"\bautomated (?:response|reply|acknowledgement)\b",
    r"\bthis is an automatic (?:response|reply|acknowledgement)\b",
)
REVIEW = _words(
    r"\boutcome of (?:the|your|this) (?:internal )?review\b",
    r"\binternal review (?:has been|was|is now) (?:completed|concluded|conducted|carried out|"
    r"undertaken)\b",
    r"\b(?:i|we) (?:have|has) (?:now )?(?:completed|concluded|conducted|carried out|"
    r"undertaken) (?:an|the|your) (?:internal )?review\b",
    r"\breview(?:ing)? officer\b",
    r"\b(?:original|initial) (?:decision|response) (?:is|was|has been|should be) (?:upheld|"
    r"overturned|partially upheld|varied|amended|reversed)\b",
    r"\b(?:uphold|overturn|partially uphold) (?:the )?(?:original|initial) (?:decision|response)\b",
    r"\b(?:decision|complaint|review) (?:is|was|has been) (?:not )?upheld\b",
    r"\bresult of (?:the|your) internal review\b",
    r"\binternal review (?:decision|outcome|response)\b",
)
CLARIFICATION = _words(
    r"\b(?:please|kindly) (?:could you )?(?:clarify|specify|confirm (?:exactly |precisely )?"
    r"(?:what|which|whether|the))\b",
    r"\b(?:could|can|would) you (?:please )?(?:clarify|specify|confirm (?:exactly |precisely )?"
    r"(?:what|which|whether|the)|narrow|refine|provide (?:further|more|additional) (?:details|"
    r"information|clarification))\b",
    r"\b(?:seek|require|request|need) (?:further |some )?clarification\b",
    r"\bclarification (?:is|will be) (?:required|needed)\b",
    r"\b(?:until|once|when) (?:we|the force) (?:receive|have received) (?:your |this |the )?"
    r"(?:clarification|response|reply)\b",
    r"\b(?:upon|on) receipt of (?:your|the|this) clarification\b",
    r"\bsection 1 ?\(3\)",
    r"\b(?:request|clock|timescale|time ?limit) (?:has been|is|will be|is now) "
    r"(?:put |placed )?(?:on hold|paused|stopped|suspended)\b",
    r"\bon hold (?:until|pending)\b",
    r"\bclock (?:has )?(?:stopped|paused)\b",
)
FEE = _words(
    r"\bfees? notice\b",
    r"\b(?:pay|payment of) (?:a |the )?(?:fee|charge|sum|amount)\b",
    r"\bfee of \xa3",
    r"\bpayment (?:of \xa3[\d.,]+ )?(?:is )?(?:required|due|must be (?:made|received))\b",
    r"\bonce (?:the )?(?:fee|payment) (?:has been|is) (?:paid|received)\b",
    r"\bcheques? (?:should|made) payable\b",
    r"\bdisbursement",
)
EXTENSION = _words(
    r"\b(?:further|additional|more|extra) time "
    r"(?:is needed |is required |needed |required )?to consider (?:the )?public interest\b",
    r"\bextend(?:ed|ing)? (?:the )?(?:time|deadline|response time|time ?limit|time for "
    r"response)\b.{0,120}\bpublic interest\b",
    r"\bpublic interest\b.{0,200}\b(?:extend|extension|further time|additional time|"
    r"beyond the 20|beyond 20|more time)\b",
    r"\bsection 10 ?\(3\)",
    r"\bs\.? ?10 ?\(3\)",
)
COST_LIMIT = _words(
    r"\bexceed(?:s|ed)? (?:the )?(?:appropriate|cost|costs) limit\b",
    r"\bappropriate limit\b",
    r"\xa3450\b",
    r"\b18 hours\b",
    r"\b(?:section|s\.?) ?12\b",
)
VEXATIOUS = _words(r"\bvexatious\b", r"\brepeated request\b", r"\b(?:section|s\.?) ?14\b")
NCND = _words(
    r"\bneither confirm(?:s|ing)? n?or den(?:y|ies|ying)\b",
    r"\bncnd\b",
    r"\bcan ?not confirm or deny\b",
)
REFUSAL = _words(
    r"\brefusal notice\b",
    r"\b(?:request|information|figures|it|this) (?:is|has been|are|have been) (?:therefore )?"
    r"(?:refused|withheld|exempt(?:ed)?)\b",
    r"\b(?:unable|not able) to (?:comply|provide|disclose|release|supply)\b",
    r"\bnot obliged to comply with (?:your|this|the) request\b(?! until)",
    r"\b(?:not complying|not disclosing|not providing|not releasing)\b",
    r"\b(?:we|i|the force) (?:must|have to|will) (?:therefore )?refuse\b",
    r"\b(?:am|are|is) (?:therefore )?(?:refusing|declining|withholding)\b",
    r"\b(?:refuse|refusing|decline|declining) (?:your|this|the) request\b",
    r"\bexemptions? (?:applies|apply|is engaged|are engaged|has been applied|have been applied)\b",
    r"\b(?:is|are) (?:therefore )?exempt (?:from disclosure|by virtue|under)\b",
    r"\bwithheld\b",
    r"\bexempt information\b",
)
WHOLE_REFUSAL = _words(
    r"\bwhole of (?:your|the) request\b",
    r"\bnot providing any information\b",
    r"\ball of the information (?:you requested )?is (?:withheld|exempt)\b",
)
PARTIAL = _words(
    r"\bpartial(?:ly)? (?:disclos|success|provid|releas|answer)",
    r"\b(?:refusal notice|refusing|withheld|exempt) (?:only )?(?:for|in respect of) parts? \d",
    r"\bin respect of parts? \d",
    r"\bfor parts? \d+ only\b",
    r"\b(?:has|have) been redacted\b",
    r"\bremainder of (?:your|the) request\b",
)
NOT_HELD = _words(
    r"\b(?:does|do|did) not hold\b",
    r"\b(?:is|are|was|were) not held\b",
    r"\bno (?:recorded )?(?:information|records?|data|documents?) (?:is|are|was|were)? ?held\b",
    r"\bhold no (?:recorded )?(?:information|records?|data)\b",
    r"\bno (?:relevant |such )?(?:recorded )?information (?:held|exists)\b",
    r"\bnot held\b",
)
PROVIDED = _words(
    r"\b(?:please )?(?:find|see) (?:the )?(?:requested )?information (?:below|attached|enclosed)\b",
    r"\bprovided (?:to you )?(?:in full|below|in the (?:table|attached|spreadsheet)|as follows)\b",
    r"\bproviding it (?:to you )?in full\b",
    r"\b(?:information|figures|data|answers?)\b[^.]{0,40}\b(?:is|are) (?:now )?(?:provided|"
    r"released|disclosed|attached|enclosed|shown|set out) ?(?:below|above|in full|as follows|"
    r"with|in the|\.)",
    r"(?<!before )(?<!until )(?<!once )(?<!if )\b(?:we|i) "
    r"(?:can|am able to|are able to|are pleased to|have) (?:now )?"
    r"(?:disclose|provide|release|supply)\b",
    r"\b(?:we|i) (?:are|am) (?:pleased|happy) to (?:provide|disclose|release|supply)\b",
    r"\bplease (?:find|see) (?:below|attached|enclosed) (?:the|our|a copy of the) "
    r"(?:requested )?(?:information|data|figures|documents?|spreadsheet|records?)\b",
    r"\b(?:can|able to) confirm the following\b",
    r"\bin (?:19|20)\d\d(?:/\d\d)?,? there (?:were|was) \d",
    r"\b(?:see|find) (?:our|the) answers below\b",
    r"\banswered (?:in full )?below\b",
    r"\bin response to (?:question|q) ?\d",
    r"\b(?:answer|response) to (?:question|q) ?\d",
    r"\bparts? \d+(?: and \d+)? - [^-]{0,60}- provided\b",
)

_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|out of (?:the )?office)\b",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"\b(?:undeliverable|undelivered mail|returned mail|failure notice|could not be delivered"
    r"|delivery (?:status notification \(failure\)|has failed|failure)"
    r"|mail delivery (?:failed|failure|system))\b",
    re.I,
)
_DATA_SUFFIXES = (".xlsx", ".xls", ".csv", ".ods", ".xlsm")
_DOC_SUFFIXES = (".pdf", ".docx", ".doc", ".odt", ".rtf", ".txt", ".htm", ".html") + _DATA_SUFFIXES


# --- entry point ---------------------------------------------------------------------------


def classify(msg: ParsedEmail) -> Classification:
    """Classify one reply. Pure: the same mail always gives the same answer."""
    bounce = _bounce(msg)
    if bounce is not None:
        return bounce
    sources = _sources(msg)
    sections, ncnd = find_sections(sources)
    reference = force_reference(msg)
    kind, evidence, confidence = _decide(msg, sources, sections)
    if kind in ("acknowledgement", "auto_reply", "unknown"):
        sections, ncnd = (), False  # what these cite is boilerplate or a quote, not grounds
    joined = " ".join(text for _, text in sources)
    return Classification(
        kind=kind,
        sections=sections,
        force_reference=reference,
        evidence=tuple(evidence),
        ncnd=ncnd,
        extension_until=_date_after(joined, _UNTIL) if kind == "extension" else None,
        stated_due=_date_after(joined, _DUE) if kind == "acknowledgement" else None,
        confidence=confidence,
    )


# --- bounces -------------------------------------------------------------------------------


def _bounce(msg: ParsedEmail) -> Classification | None:
    """A failed delivery: a DSN with ``Action: failed`` or what flufl.bounce recognises.

    A DSN whose recipients are all ``delayed`` (or ``delivered``/``relayed``) is not a failure.
    """
    failed = [d for d in msg.delivery_status if d.action == "failed"
              or (d.action is None and (d.status or "").startswith("5"))]
    if failed:
        first = failed[0]
        reason = " ".join(part for part in (first.status, first.diagnostic) if part) or None
        evidence = [f"delivery-status: Action: failed for {first.recipient}"]
        if first.status:
            evidence.append(f"delivery-status: Status: {first.status}")
        return _bounced(first.recipient, reason, evidence)
    if msg.delivery_status:  # delayed, delivered or relayed: nothing has failed (yet)
        actions = sorted({d.action or "no action" for d in msg.delivery_status})
        return Classification(
            kind="unknown",
            sections=(),
            force_reference=None,
            evidence=(f"delivery-status: Action: {', '.join(actions)} (not a failure)",),
            confidence="fallback",
        )
    if not _looks_machine_returned(msg):
        return None
    permanent = _flufl_permanent(msg)
    if permanent:
        recipient = min(permanent)
        evidence = [f"bounce detector: permanent failure for {recipient}"]
        return _bounced(recipient, _text_reason(msg), evidence)
    failed_header = msg.headers.get("x-failed-recipients")
    if failed_header:
        recipient = failed_header.split(",")[0].strip()
        evidence = [f"header X-Failed-Recipients: {failed_header}"]
        return _bounced(recipient, _text_reason(msg), evidence)
    return None


def _bounced(recipient: str | None, reason: str | None, evidence: list[str]) -> Classification:
    return Classification(
        kind="bounce",
        sections=(),
        force_reference=None,
        evidence=tuple(evidence),
        failed_recipient=recipient,
        bounce_reason=reason,
    )


def _flufl_permanent(msg: ParsedEmail) -> set[str]:
    if msg.message is None:
        return set()
    from flufl.bounce import all_failures  # heavy import, needed only for candidate bounces

    try:
        _temporary, permanent = all_failures(msg.message)
    except Exception:  # a detector choking on odd mail must not stop classification
        return set()
    found = set()
    for address in permanent:
        text = address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address)
        text = text.strip().strip("<>")
        if "@" in text:
            found.add(text)
    return found


def _looks_machine_returned(msg: ParsedEmail) -> bool:
    """Sent by a mail system rather than a person: only then are bounce detectors consulted."""
    sender = msg.from_addr.split("@")[0]
    return (
        msg.is_dsn
        or sender in ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
        or msg.headers.get("return-path", "x").strip() == "<>"
        or "x-failed-recipients" in msg.headers
        or bool(_BOUNCE_SUBJECT.search(msg.subject))
    )


def _text_reason(msg: ParsedEmail) -> str | None:
    """The enhanced status code and the rest of its line, from a bounce without a DSN part."""
    found = re.search(r"\b[45]\.\d{1,3}\.\d{1,3}\b[^\n]{0,160}", msg.text) or re.search(
        r"\b5\d\d[ -][^\n]{0,160}", msg.text
    )
    return re.sub(r"\s+", " ", found.group(0)).strip(" <>") if found else None


# --- text sources --------------------------------------------------------------------------


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"')
    text = text.replace("\u201d", '"').replace("\u2013", "-").replace("\u2014", "-")
    text = text.replace("\u00a0", " ").replace("\ufb01", "fi").replace("\ufb02", "fl")
    return re.sub(r"\s+", " ", text).lower()


def _sources(msg: ParsedEmail) -> list[tuple[str, str]]:
    """The force's own words: the new text of the mail, then each readable attachment."""
    sources = [("text", _normalise(msg.new_text))]
    for attachment in msg.attachments:
        if attachment.text and not attachment.content_type.startswith("message/"):
            sources.append((f'attachment "{attachment.filename}"', _normalise(attachment.text)))
    return sources


def _find(pattern: re.Pattern[str], sources: list[tuple[str, str]]) -> str | None:
    """Evidence for the first match of ``pattern``: 'text: "exceed the appropriate limit"'."""
    for label, text in sources:
        found = pattern.search(text)
        if found:
            words = found.group(0).strip()
            if len(words) > 90:
                words = words[:87].rstrip() + "..."
            return f'{label}: "{words}"'
    return None


# --- the decision --------------------------------------------------------------------------


def _auto_headers(msg: ParsedEmail) -> list[str]:
    """Evidence that a machine sent the mail: RFC 3834 and vendor headers, or the subject."""
    evidence = []
    auto = msg.headers.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        evidence.append(f"header Auto-Submitted: {msg.headers['auto-submitted']}")
    for name, label in (("x-autoreply", "X-Autoreply"), ("x-autorespond", "X-Autorespond")):
        if name in msg.headers:
            evidence.append(f"header {label}: {msg.headers[name]}")
    precedence = msg.headers.get("precedence", "").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):  # "bulk" is a mailing list, not a reply
        evidence.append(f"header Precedence: {msg.headers['precedence']}")
    if _AUTO_SUBJECT.search(msg.subject):
        evidence.append(f'subject: "{msg.subject}"')
    return evidence


def _decide(msg: ParsedEmail, sources: list[tuple[str, str]],
            sections: tuple[str, ...]) -> tuple[str, list[str], str]:
    """Return ``(kind, evidence, confidence)``; the order of the checks is the precedence:

    machine-sent away message; machine-sent acknowledgement; internal review outcome; public
    interest extension; fees notice; request for clarification; person-written
    acknowledgement; partly given; refused; not held; given; a document named as a response
    that could not be read (fallback); unknown.
    """
    found = {name: _find(pattern, sources) for name, pattern in _SIGNALS.items()}
    auto = _auto_headers(msg)

    def pick(kind: str, *names: str) -> tuple[str, list[str], str]:
        return kind, [words for name in names if (words := found[name])], "rule"

    if auto and found["away"] and not found["receipt"]:
        return "auto_reply", auto + [found["away"]], "rule"
    provided = found["provided"] or _figures_table(msg) or _data_attachment(msg)
    # An acknowledgement speaks of decisions only as possibilities ("if the cost would exceed
    # the limit we may refuse"); a machine-sent one decides nothing, whatever it says might
    # happen later (public interest extensions, clarification, fees).
    decides = _decides(msg, _firm(sources))
    if auto and found["receipt"] and not decides:
        return "acknowledgement", auto + [found["receipt"]], "rule"
    if found["review"]:
        return pick("review_outcome", "review")
    if found["extension"] and not provided:
        return pick("extension", "extension")
    if found["fee"] and not provided:
        return pick("fee", "fee")
    if found["clarification"] and not (provided or found["refusal"]):
        return pick("clarification", "clarification")

    grounds = [f"sections cited: {', '.join(sections)}"] if sections else []
    refused = found["cost"] or found["vexatious"] or found["ncnd"] or found["refusal"] or grounds
    if found["receipt"] and not decides:
        return "acknowledgement", auto + [found["receipt"]], "rule"
    if provided and (refused or found["not_held"]) and not found["whole_refusal"]:
        kind, evidence, _ = pick("partially_successful", "partial", "refusal", "cost",
                                 "vexatious", "ncnd", "not_held")
        return kind, _with_provided(msg, found["provided"], evidence + grounds), "rule"
    if refused:
        kind, evidence, _ = pick("rejected", "cost", "vexatious", "ncnd", "refusal",
                                 "whole_refusal")
        return kind, evidence + grounds, "rule"
    if found["not_held"]:
        return pick("not_held", "not_held")
    if provided:
        return "successful", _with_provided(msg, found["provided"], []), "rule"
    named = _response_attachment(msg)
    if named:
        return "successful", [named], "fallback"
    return "unknown", [], "fallback"


_SIGNALS = {
    "away": AWAY,
    "receipt": RECEIPT,
    "review": REVIEW,
    "clarification": CLARIFICATION,
    "fee": FEE,
    "extension": EXTENSION,
    "cost": COST_LIMIT,
    "vexatious": VEXATIOUS,
    "ncnd": NCND,
    "refusal": REFUSAL,
    "whole_refusal": WHOLE_REFUSAL,
    "partial": PARTIAL,
    "not_held": NOT_HELD,
    "provided": PROVIDED,
}

_CONDITIONAL = re.compile(
    r"\b(?:if|where|should|may|might|unless|whether|in (?:some|certain) cases|in the event)\b"
)
_DECISIONS = (PROVIDED, NOT_HELD, REFUSAL, COST_LIMIT, VEXATIOUS, NCND)


def _firm(sources: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The sources without their conditional sentences ("If ..., we may refuse")."""
    return [
        (label, " ".join(sentence for sentence in re.split(r"(?<=[.!?;])\s+", text)
                         if not _CONDITIONAL.search(sentence)))
        for label, text in sources
    ]


def _decides(msg: ParsedEmail, firm: list[tuple[str, str]]) -> bool:
    """Whether the reply states a decision: information given, not held, or refused."""
    return bool(
        _figures_table(msg)
        or _data_attachment(msg)
        or find_sections(firm)[0]
        or any(_find(pattern, firm) for pattern in _DECISIONS)
    )


_TABLE_ROW = re.compile(r"^\s*(?:19|20)\d\d(?:/\d\d)?\*?:?[ \t]+(?:\S+[ \t]+){0,3}\xa3?\d", re.M)


def _figures_table(msg: ParsedEmail) -> str | None:
    """Rows of figures by year ("2019   41") in the text or an attachment: information given."""
    texts = [("text", msg.new_text)] + [
        (f'attachment "{a.filename}"', a.text) for a in msg.attachments if a.text
    ]
    for label, text in texts:
        rows = len(_TABLE_ROW.findall(text or ""))
        if rows >= 3:
            return f"{label}: table of figures ({rows} rows)"
    return None


def _with_provided(msg: ParsedEmail, phrase: str | None, evidence: list[str]) -> list[str]:
    """Evidence that information was given: the words, a table of figures, a data file."""
    extra = [phrase, _figures_table(msg), _data_attachment(msg)]
    return [item for item in extra if item] + [item for item in evidence if item not in extra]


def _data_attachment(msg: ParsedEmail) -> str | None:
    for attachment in msg.attachments:
        if attachment.filename.lower().endswith(_DATA_SUFFIXES):
            return f'attachment "{attachment.filename}"'
    return None


def _response_attachment(msg: ParsedEmail) -> str | None:
    """A document named as a response or disclosure, when its text could not be read."""
    for attachment in msg.attachments:
        name = attachment.filename.lower()
        if name.endswith(_DOC_SUFFIXES) and re.search(r"response|disclosure|reply|answer", name):
            return f'attachment "{attachment.filename}"'
    return None


# --- sections ------------------------------------------------------------------------------

# Grounds for withholding: s.12 (cost), s.14 (vexatious/repeated) and the Part II exemptions of
# FOIA 2000 (ss.21-44) and FOISA 2002 (ss.25-41). s.1, s.9, s.10, s.13, s.16 and s.17 are the
# mechanics of a response, never grounds, and so are other Acts' sections quoted in the data.
_GROUNDS = {"12", "14", "22a"} | {str(number) for number in range(21, 45)}
_SECTION_KEY = re.compile(
    r"(?<![\w'])(?:sections?|ss?\.|s(?=\s?\d)|§)\s*(?=\d)"
)
_ITEM = re.compile(r"(\d{1,2}a?)((?:\s?\(\s?(?:\d{1,2}[a-z]?|[a-z]|[ivx]{1,4})\s?\))*)")
_LIST_SEPARATOR = re.compile(r"\s*(?:,|and|&|or|/|\+)\s*(?:sections?\s*|s\.?\s*)?(?=\d)")
_OTHER_ACT = re.compile(r"^\s*of (?:the )?([a-z][a-z ,()'&-]{0,60}?) act\b")


def find_sections(sources: list[tuple[str, str]]) -> tuple[tuple[str, ...], bool]:
    """The sections cited as grounds, normalised ("40(2)", "31(1)(a)") and sorted; and NCND.

    >>> find_sections([("text", "exempt under s.40(2) and sections 30 and 31(1)(a)")])
    (('30', '31(1)(a)', '40(2)'), False)
    """
    cited: set[str] = set()
    ncnd = False
    for _, text in sources:
        ncnd = ncnd or bool(NCND.search(text))
        for key in _SECTION_KEY.finditer(text):
            position = key.end()
            while True:
                item = _ITEM.match(text, position)
                if not item:
                    break
                position = item.end()
                number = item.group(1)
                if number in _GROUNDS and not _of_another_act(text, position):
                    cited.add(number.upper() + re.sub(r"\s", "", item.group(2)))
                separator = _LIST_SEPARATOR.match(text, position)
                if not separator:
                    break
                position = separator.end()
    # "section 40" and "section 40(2)" in one letter are one ground: keep the precise form.
    precise = {c for c in cited if not any(o.startswith(c + "(") for o in cited)}
    return tuple(sorted(precise, key=_section_key)), ncnd


def _of_another_act(text: str, position: int) -> bool:
    """"section 23 of the Misuse of Drugs Act": a section of a law other than FOIA/FOISA."""
    found = _OTHER_ACT.match(text, position)
    if not found:
        return False
    name = found.group(1).strip()
    return not (name in ("the", "this") or name.startswith("freedom of information"))


def _section_key(section: str) -> tuple[tuple[int, int, str], ...]:
    parts = re.findall(r"\d+|[a-z]+", section.lower())
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts)


# --- references ----------------------------------------------------------------------------

# Our own reference, also as forces mistype it ("FOl-7KQ2M", "F0I-7KQ2M").
_OURS = re.compile(r"^F[O0][I1L|]-[0-9A-Z]{5}$", re.I)
_REF_TOKEN = r"((?:(?:FOI|FOIA|FOISA) )?[A-Z0-9][A-Z0-9/._-]*\d[A-Z0-9/._-]*)"
_LABELLED = re.compile(
    r"\b(?:our ref(?:erence)?|(?:foi |request |case |application )?ref(?:erence)?"
    r"(?: number| no\.?)?|(?:foi|request|case|application) (?:number|no\.?))"
    r"\s*(?:is\s*)?[:=\-\u2013]?\s*" + _REF_TOKEN,
    re.I,
)
_PATTERNS = (
    re.compile(r"\bIM-FOI-\d{4}-\d{2,}\b", re.I),
    re.compile(r"\b(?:[A-Z]{1,5}-)?(?:F|FOI|FOIA|RFI|CAS)-\d{2,4}-\d{2,}(?:-\d{2})?\b", re.I),
    re.compile(r"\b(?:[A-Z0-9]{1,5}/)?FOI/\d{2,4}/\d{2,}(?:/\d{2,})?\b", re.I),
    re.compile(r"\b\d{4}/FOI/\d{2,}\b", re.I),
    re.compile(r"\bFOI ?\d{3,6}/\d{2,6}\b", re.I),
    re.compile(r"\b(?!(?:19|20)\d\d/\d\d\b)\d{3,6}/\d{2,6}\b(?!/)"),
)


def force_reference(msg: ParsedEmail) -> str | None:
    """The force's own reference: labelled ("Our ref:", "Reference No:") in the new text, the
    subject or an attachment; else a reference-shaped token there. Never our FOI-XXXXX."""
    texts = [msg.new_text, msg.subject] + [a.text for a in msg.attachments if a.text]
    for text in texts:
        for found in _LABELLED.finditer(text):
            token = _clean_ref(found.group(1))
            if token and not _OURS.match(token) and not _is_date(token):
                return token
    for text in [msg.subject, msg.new_text] + texts[2:]:
        for pattern in _PATTERNS:
            for found in pattern.finditer(text):
                token = _clean_ref(found.group(0))
                if token and not _OURS.match(token):
                    return token
    return None


def _clean_ref(token: str) -> str | None:
    token = token.strip().rstrip(".,;:)/-_")
    if len(token) < 3 or not re.search(r"\d", token):
        return None
    return token


def _is_date(token: str) -> bool:
    return bool(re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}", token))


# --- dates ---------------------------------------------------------------------------------

_MONTHS = {name: index for index, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?"
    r"(?:(\d{1,2})(?:st|nd|rd|th)?(?: of)? " + _MONTH + r",? (\d{4})"
    r"|" + _MONTH + r" (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})"
    r"|(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"|(\d{4})-(\d{2})-(\d{2}))"
)
# What may stand just before a date that is a deadline: "by", "no later than", "until", or
# "due date ... is" a few words earlier. "received by X on <date>" is therefore not one.
_UNTIL = re.compile(
    r"(?:\b(?:by|until|before|no later than|on or before|extended to)[ ,-]*$)"
    r"|(?:\b(?:new date|deadline|new deadline)\b(?: \S+){0,4} ?$)"
)
_DUE = re.compile(
    r"(?:\b(?:by|before|no later than|on or before|respond on)[ ,-]*$)"
    r"|(?:\b(?:due(?: date)?|deadline)\b(?: \S+){0,4} ?$)"
)


def _date_after(text: str, lead: re.Pattern[str]) -> date | None:
    """The first date introduced by ``lead``: "by 15 January 2027", "due date is 01/12/2026"."""
    for found in _DATE.finditer(text):
        before = text[max(0, found.start() - 60) : found.start()]
        if lead.search(before):
            parsed = parse_date(found.group(0))
            if parsed:
                return parsed
    return None


def parse_date(text: str) -> date | None:
    """A date written as British letters write them: "15 January 2027", "15/01/2027"."""
    found = _DATE.search(text.lower())
    if not found:
        return None
    g = found.groups()
    try:
        if g[0]:
            return date(int(g[2]), _month(g[1]), int(g[0]))
        if g[3]:
            return date(int(g[5]), _month(g[3]), int(g[4]))
        if g[6]:
            return date(int(g[8]), int(g[7]), int(g[6]))
        return date(int(g[9]), int(g[10]), int(g[11]))
    except ValueError:
        return None


def _month(name: str) -> int:
    return next(index for full, index in _MONTHS.items() if full.startswith(name[:3]))

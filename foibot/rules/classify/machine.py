"""Mail that a machine sent: delivery failures (bounces), delay warnings and auto-replies.

Judged before any reading of the words as a letter: a bounce quotes our own letter, and an
out-of-office reply may quote anything. In order of trust:

1. a delivery report (RFC 3464): its per-recipient ``Action`` (``failed`` and the variants
   mail systems write: ``failure``, ``error``, ``expired``) and ``Status`` (5.x.x permanent,
   4.x.x temporary);
2. a delay warning in words ("still being retried", "THIS IS A WARNING MESSAGE ONLY"): never
   a failure, however alarming the subject;
3. for mail that *looks* returned by a machine (its sender, an empty Return-Path, its subject),
   flufl.bounce's detectors for known mail systems, then ``X-Failed-Recipients``, then the
   error codes in the text (5.x.x, 5xx) beside the words of a failure, with the address;
4. auto-replies: RFC 3834 and vendor headers, a subject in any of several languages, away
   wording, or a challenge-response system asking us to prove we are human.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from foibot.mail.parse import ParsedEmail

# flufl.bounce logs a traceback whenever one of its detectors trips over odd mail; the
# classifier already treats that as "no bounce found", so keep it off the user's terminal.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())
logging.getLogger("flufl.bounce").propagate = False


@dataclass(frozen=True)
class Returned:
    """What the delivery machinery says: a permanent failure, or a delay (not a failure)."""

    failed: bool
    recipient: str | None
    reason: str | None
    evidence: tuple[str, ...]


_FAILED_ACTIONS = ("fail", "error", "expire", "undeliver", "bounce", "reject", "abort", "denied")
_MACHINE_SENDER = re.compile(
    r"^(?:mailer[-_.]?daemon|mail[-_.]?daemon|post[-_.]?master|mail[-_.]?delivery(?:[-_.]?system)?"
    r"|mail[-_.]?delivery[-_.]?subsystem|mdaemon|bounces?|mailer|smtp[-_.]?(?:gateway|relay)"
    r"|nobody|root|daemon|mailadmin|mail[-_.]?admin|e?mail[-_.]?gateway|returns?)(?:[+@.-]|$)",
    re.I)
_MACHINE_NAME = re.compile(
    r"\b(?:mail(?:er)?[- ]?daemon|mail delivery (?:system|subsystem|service)|post ?master"
    r"|delivery status notification|microsoft outlook|mail administrator|system administrator)\b",
    re.I)
_BOUNCE_SUBJECT = re.compile(
    r"\b(?:undeliverable|undelivered|undeliverd|returned mail|returned to sender|failure notice"
    r"|could not be delivered|couldn't be delivered|not delivered|non[- ]?deliver(?:able|y)"
    r"|delivery (?:status notification|has failed|failure|failed|problem|notification|report)"
    r"|mail delivery (?:failed|failure|system|problem)|delivery error|message (?:not )?delivered"
    r"|nicht zustellbar|unzustellbar|non remis|non recapitabile|no entregado|onbestelbaar"
    r"|warning: could not send|delayed mail|delivery delayed|mail system error|rejected)\b",
    re.I)
_DELAY = re.compile(
    r"still being retried|will (?:continue to |keep )?(?:try|retry|attempt)(?:ing)?"
    r" (?:to (?:deliver|send|redeliver)|delivery|again|for)"
    r"|will be retried|this is a warning (?:message )?only|warning message only"
    r"|you do not need to resend|no need to resend|not yet been delivered|has been delayed"
    r"|delivery (?:has been |is )?delayed|delayed mail|could not send message for (?:the )?past"
    r"|temporarily (?:unable|deferred|failed)|will try again|retry (?:until|for)"
    r"|delivery attempts will continue|not been able to deliver .{0,40} yet",
    re.I)
_PERMANENT_WORDS = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient|address|person)"
    r"|(?:mailbox|address|account|recipient|user) (?:is )?(?:unavailable|not found|does not exist"
    r"|doesn't exist|disabled|inactive|invalid|unknown|full|over ?quota|not (?:valid|known))"
    r"|does not exist|doesn't exist|invalid (?:recipient|address|mailbox)|recipient rejected"
    r"|rejected|undeliverable|could not be delivered|couldn't be delivered|permanent(?:ly)? "
    r"(?:error|failure|failed)|delivery (?:has )?failed|message (?:was )?not delivered"
    r"|relay(?:ing)? (?:denied|not permitted)|access denied|host (?:not found|unknown)"
    r"|quota exceeded|over (?:its )?quota|mailbox full|failed permanently|returned to sender"
    r"|not (?:be )?delivered|delivery to the following recipient(?:s)? failed"
    r"|not a valid (?:user|recipient|address|mailbox)",
    re.I)
# Failure words that name the recipient's mailbox itself: with any sign that a machine sent the
# mail, they are a bounce even without a status code.
_USER_FAILED = re.compile(
    r"user unknown|unknown user|no such (?:user|mailbox|recipient|address)|not a valid "
    r"(?:user|recipient|address|mailbox)|(?:mailbox|address|account|recipient) (?:does not|doesn't) "
    r"exist|recipient (?:address )?rejected", re.I)
_STATUS_CODE = re.compile(r"\b5\.\d{1,3}\.\d{1,3}\b|(?<![\d.])5[0-5]\d(?:[ -]|$)", re.M)
_ADDRESS = re.compile(r"<?([A-Za-z0-9._%+'=-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})>?")


def _failed_action(action: str | None, status: str | None) -> bool:
    if action is None:
        return (status or "").startswith("5")
    return action.startswith(_FAILED_ACTIONS)


def returned(msg: ParsedEmail) -> Returned | None:
    """A failed delivery, a delay (not a failure), or None for mail that is neither."""
    failed = [d for d in msg.delivery_status if _failed_action(d.action, d.status)]
    if failed and not challenge(msg):
        first = failed[0]
        reason = " ".join(part for part in (first.status, first.diagnostic) if part) or None
        evidence = [f"delivery-status: Action: {first.action or 'none'} for {first.recipient}"]
        if first.status:
            evidence.append(f"delivery-status: Status: {first.status}")
        return Returned(True, first.recipient, reason, tuple(evidence))
    if msg.delivery_status and not failed:   # delayed, delivered or relayed: not a failure
        actions = sorted({d.action or "no action" for d in msg.delivery_status})
        return Returned(False, None, None,
                        (f"delivery-status: Action: {', '.join(actions)} (not a failure)",))
    if not looks_returned(msg):
        return None
    delay = _DELAY.search(msg.subject) or _DELAY.search(msg.text[:20_000])
    if delay:
        return Returned(False, None, None,
                        (f'delay warning: "{delay.group(0)}" (still being retried: not a '
                         f'failure)',))
    permanent, temporary = _flufl(msg)
    if permanent:
        recipient = min(permanent)
        return Returned(True, recipient, _text_reason(msg),
                        (f"bounce detector: permanent failure for {recipient}",))
    failed_header = msg.headers.get("x-failed-recipients")
    if failed_header:
        recipient = failed_header.split(",")[0].strip()
        return Returned(True, recipient, _text_reason(msg),
                        (f"header X-Failed-Recipients: {failed_header}",))
    if temporary:
        return Returned(False, None, None,
                        (f"bounce detector: temporary failure for {min(temporary)} "
                         f"(not a failure)",))
    return _from_text(msg)


def looks_returned(msg: ParsedEmail) -> bool:
    """Sent by a mail system rather than a person: only then are bounce detectors consulted."""
    local = msg.from_addr.split("@")[0]
    return bool(
        "failure" in msg.headers.get("auto-submitted", "").lower()
        or msg.is_dsn
        or _MACHINE_SENDER.match(local)
        or _MACHINE_NAME.search(msg.from_name)
        or msg.headers.get("return-path", "x").strip() in ("<>", "")
        or "x-failed-recipients" in msg.headers
        or _BOUNCE_SUBJECT.search(msg.subject)
    )


def _flufl(msg: ParsedEmail) -> tuple[set[str], set[str]]:
    if msg.message is None:
        return set(), set()
    from flufl.bounce import all_failures  # heavy import, needed only for candidate bounces

    try:
        temporary, permanent = all_failures(msg.message)
    except Exception:  # noqa: BLE001 - a detector choking on odd mail is "no bounce found"
        return set(), set()
    return _addresses(permanent), _addresses(temporary)


def _addresses(found: object) -> set[str]:
    out = set()
    for address in found or ():  # type: ignore[attr-defined]
        text = address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address)
        text = text.strip().strip("<>")
        if "@" in text:
            out.add(text)
    return out


def _from_text(msg: ParsedEmail) -> Returned | None:
    """A bounce from a mail system no detector knows: a permanent error code beside the words
    of a failure, in mail that looks returned; the failed address if the text names one."""
    text = msg.text[:50_000]
    code = _STATUS_CODE.search(text)
    words = _PERMANENT_WORDS.search(text) or _PERMANENT_WORDS.search(msg.subject)
    failure_header = "failure" in msg.headers.get("auto-submitted", "").lower()
    if failure_header and not words:
        return Returned(True, None, _text_reason(msg),
                        (f"header Auto-Submitted: {msg.headers['auto-submitted']}",))
    if not words or not (code or _BOUNCE_SUBJECT.search(msg.subject) or failure_header
                         or _USER_FAILED.search(words.group(0))):
        return None
    ours = {msg.from_addr, *msg.to, *msg.cc, *msg.delivered_to}
    near = text[max(0, words.start() - 400):words.end() + 400]
    recipient = next((a.lower() for a in _ADDRESS.findall(near) if a.lower() not in ours),
                     None) or next((a.lower() for a in _ADDRESS.findall(text)
                                    if a.lower() not in ours), None)
    evidence = [f'text: "{words.group(0)}"']
    if code:
        evidence.append(f'text: status "{code.group(0).strip()}"')
    return Returned(True, recipient, _text_reason(msg), tuple(evidence))


def _text_reason(msg: ParsedEmail) -> str | None:
    """The enhanced status code and the rest of its line, from a bounce without a DSN part."""
    found = re.search(r"\b[45]\.\d{1,3}\.\d{1,3}\b[^\n]{0,160}", msg.text) or re.search(
        r"\b5\d\d[ -][^\n]{0,160}", msg.text
    )
    return re.sub(r"\s+", " ", found.group(0)).strip(" <>") if found else None


# --- auto-replies ---------------------------------------------------------------------------
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:\[[^\]]{0,60}\]\s*)?[\[(]?\s*(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|automatic response"
    r"|auto(?:matic)? answer|out of (?:the )?office|ooo\b|away from (?:the |my )?office|on vacation"
    r"|vacation(?: reply| message)?|absence|abwesenheit(?:snotiz)?|automatische antwort"
    r"|r[ée]ponse automatique|absent(?:e)? du bureau|risposta automatica|respuesta autom[aá]tica"
    r"|fuera de la oficina|automatisch antwoord|afwezig|automatyczna odpowied[zź]"
    r"|resposta autom[aá]tica|automatisk svar|autosvar|frånvaro|poissa|automaattinen vastaus"
    r"|auto:)",
    re.I)
_AWAY_WORDS = re.compile(
    r"\b(?:nicht im b[üu]ro|abwesend|je suis absent|absente? du bureau|estoy fuera de la oficina"
    r"|estar[eé] fuera|sono assente|fuori ufficio|ik ben afwezig|niet op kantoor"
    r"|jestem nieobecn|poza biurem|estou ausente|jag är ledig|jeg er p[aå] ferie"
    r"|out of (?:the )?office|on (?:annual |holiday |vacation |maternity |paternity |sick )?leave"
    r"|on vacation|on holiday|away from (?:the |my )?(?:office|desk|e-?mail)"
    r"|(?:limited|no) access to (?:my )?e-?mails?|until my return|back in the office"
    r"|no longer (?:work|working|employed|with)|(?:inbox|mailbox|e-?mail address|account) "
    r"(?:is )?(?:no longer|not) (?:monitored|in use|active|being monitored)|no longer in use)",
    re.I)
_CHALLENGE = re.compile(
    r"\b(?:protect(?:ing)? (?:myself|my inbox|me) from (?:junk|spam|unwanted)"
    r"|(?:verify|confirm|prove) (?:that )?you are (?:a )?(?:human|real person|person|not a robot)"
    r"|spam ?blocker|boxbe|bluebottle|challenge[- ]response|mailblocks|sender verification"
    r"|your (?:message|e-?mail) (?:is being|has been|will be) held (?:until|pending)"
    r"|(?:awaiting|pending|waiting for) (?:your )?(?:verification|approval)"
    r"|(?:add|added) (?:you )?to (?:my|the) (?:approved|safe|allowed) (?:sender|senders|list)"
    r"|approved sender list|one[- ]time (?:verification|confirmation))",
    re.I)


def auto_headers(msg: ParsedEmail) -> list[str]:
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


def away(msg: ParsedEmail) -> str | None:
    """Away wording in any of several languages, as evidence."""
    found = _AWAY_WORDS.search(msg.new_text[:5000] or msg.text[:5000])
    return f'text: "{found.group(0)}"' if found else None


def challenge(msg: ParsedEmail) -> str | None:
    """A challenge-response system asking the sender to prove it is human."""
    found = _CHALLENGE.search(msg.text[:10_000]) or _CHALLENGE.search(msg.subject)
    if found is None and "boxbe" in msg.from_addr:
        return f"sender {msg.from_addr}"
    return f'text: "{found.group(0)}"' if found else None


_REQUEST_WORDS = re.compile(
    r"\b(?:request|freedom of information|foi|foia|foisa|enquiry|inquiry|reference|ref"
    r"|disclosure|information rights|data protection)\b", re.I)


def about_a_request(msg: ParsedEmail) -> bool:
    """Does the mail speak of a request at all? A receipt that does not ("thank you for your
    e-mail, I will reply as soon as possible") is a person's auto-responder, not an FOI
    acknowledgement."""
    return bool(_REQUEST_WORDS.search(msg.subject) or _REQUEST_WORDS.search(msg.new_text[:5000]))


def null_sender(msg: ParsedEmail) -> str | None:
    """Weak signs of an automatic responder: a null Return-Path, Precedence bulk or junk."""
    if msg.headers.get("return-path", "x").strip() in ("<>", ""):
        return "header Return-Path: <>"
    precedence = msg.headers.get("precedence", "").strip().lower()
    if precedence in ("bulk", "junk"):
        return f"header Precedence: {msg.headers['precedence']}"
    return None

"""The force's own reference for a request ("Our ref: FOI 2026/01234"), never foibot's."""

from __future__ import annotations

import re

from foibot.mail.parse import ParsedEmail

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

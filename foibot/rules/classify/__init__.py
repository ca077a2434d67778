"""What a police force's reply is: pure rules over a :class:`~foibot.mail.parse.ParsedEmail`.

The kinds follow WhatDoTheyKnow's request states. A reply is judged in two steps: mail that a
machine sent (a bounce, a delay warning, an out-of-office) is recognised from its structure and
headers (:mod:`.machine`); everything else is read as a letter, act by act (:mod:`.letter`),
from the force's own words only: the new text of the mail and its attachments, never the quoted
copy of our letter, never the Act's boilerplate. Every result carries its ``evidence`` (the
header or the words that decided it) and a ``confidence`` from 0 to 1; below
:data:`REVIEW_BELOW` the kind is still proposed, but the reply ``needs_review`` and foibot acts
on it only once a person has looked (``foibot review``, ``foibot mark``). A word model
(:mod:`.model`) is the second reader: it proposes a kind where the rules find none, and a sure
reading it strongly places on the other side of "answer or not" waits for a person too.

    >>> from foibot.mail.parse import parse
    >>> mail = parse(b"Subject: FOI 2026/00123\\r\\n\\r\\nThe information is not held.")
    >>> result = classify(mail)
    >>> result.kind, result.force_reference, result.needs_review
    ('not_held', 'FOI 2026/00123', False)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from foibot.mail.parse import ParsedEmail
from foibot.rules.classify import letter, machine
from foibot.rules.classify import model as model_mod
from foibot.rules.classify.dates import DUE, UNTIL, date_after, parse_date
from foibot.rules.classify.examples import Example, nearest
from foibot.rules.classify.references import force_reference
from foibot.rules.classify.sections import find_sections
from foibot.rules.classify.text import Sentence, normalise, sentences
from foibot.rules.kinds import COARSE, KINDS, REPLIES, SUBSTANTIVE

REVIEW_BELOW = 0.7
"""A reading less certain than this is proposed, but waits for a person before foibot acts."""
MODEL_AT = 0.4
"""For a letter the rules cannot read, the word model's best guess replaces ``unknown`` from
this probability. Leave-forces-out cross-validation on the development part (``training.py
--cv``) finds thresholds from 0 to 0.4 about equally good and better than 0.5; the highest of
them leaves the letters written as non-replies (a newsletter, phishing, a read receipt, all
read at 23-32%) as ``unknown``."""
DISAGREE_AT = 0.6
"""A reading the rules are sure of still waits for a person when the word model puts at least
this probability on the other side of the board's question (an answer, or not): two readers
must agree before foibot chases a force or counts it as answered. On the development part,
cross-validated by force, this flags one right reading of 263 and misses none it should."""
MODEL_TEXT = 3000
"""The word model reads a letter's first this many characters of its own words: it learned
from letters of at most 2,000 (the corpus's page excerpts), and a 40-page attachment would
cost more to read than it could tell."""
MODEL_CONFIDENCE = 0.69
"""... but a reading from vocabulary alone always waits for a person (just below REVIEW_BELOW)."""

__all__ = ["COARSE", "KINDS", "REPLIES", "REVIEW_BELOW", "SUBSTANTIVE", "Classification", "Example",
           "classify", "find_sections", "force_reference", "own_words", "parse_date",
           "reads_as_reply"]


@dataclass(frozen=True)
class Classification:
    kind: str
    sections: tuple[str, ...]
    force_reference: str | None
    evidence: tuple[str, ...]
    confidence: float = 1.0
    ncnd: bool = False
    extension_until: date | None = None
    stated_due: date | None = None
    failed_recipient: str | None = None
    bounce_reason: str | None = None

    @property
    def needs_review(self) -> bool:
        """Not understood well enough to act on without a person's look."""
        return self.kind == "unknown" or self.confidence < REVIEW_BELOW

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (dates as ISO strings), as ``foibot classify --json`` prints."""
        return {
            "kind": self.kind,
            "sections": list(self.sections),
            "force_reference": self.force_reference,
            "evidence": list(self.evidence),
            "confidence": round(self.confidence, 2),
            "needs_review": self.needs_review,
            "ncnd": self.ncnd,
            "extension_until": self.extension_until.isoformat() if self.extension_until else None,
            "stated_due": self.stated_due.isoformat() if self.stated_due else None,
            "failed_recipient": self.failed_recipient,
            "bounce_reason": self.bounce_reason,
        }


def _second_opinion(text: str, acts: list[str]) -> tuple[str, float] | None:
    """The word model's reading, if it has one it is fairly sure of."""
    model = model_mod.shipped()
    if model is None or not text:
        return None
    probabilities = model.probabilities(model_mod.features(text, acts))
    guess = max(probabilities, key=probabilities.__getitem__)
    if guess == "unknown" or probabilities[guess] < MODEL_AT:
        return None
    return guess, probabilities[guess]


def _disagreement(text: str, acts: list[str], kind: str) -> str | None:
    """The word model's objection to a sure reading, if it strongly reads the letter as on the
    other side of answer / not an answer."""
    model = model_mod.shipped()
    if model is None or not text:
        return None
    probabilities = model.probabilities(model_mod.features(text, acts))
    answer = COARSE[kind] == "answer"
    other = {k: p for k, p in probabilities.items() if (COARSE.get(k) == "answer") != answer}
    if sum(other.values()) < DISAGREE_AT:
        return None
    guess = max(other, key=other.__getitem__)
    return f"word model disagrees: reads like {guess} ({sum(other.values()):.0%} " \
           f"{'not an answer' if answer else 'an answer'})"


def reads_as_reply(result: Classification) -> bool:
    """Does this read as a force's reply to a request (rather than a newsletter, an auto-reply
    or anything else that happens to come from a force's domain)?"""
    return result.kind in REPLIES and not result.needs_review


def _texts(msg: ParsedEmail) -> list[tuple[str, str]]:
    """The force's own words: the new text of the mail, then each readable attachment."""
    return [("text", msg.new_text or "")] + [
        (f'attachment "{a.filename}"', a.text) for a in msg.attachments
        if a.text and not a.content_type.startswith("message/")]


def _own(found: list[Sentence]) -> str:
    return " ".join(s.text for s in found if not s.boilerplate)


def own_words(msg: ParsedEmail) -> str:
    """A reply's own sentences, normalised, without boilerplate: what an example keeps."""
    return _own([s for label, text in _texts(msg) for s in sentences(label, text)])


def reading_of(msg: ParsedEmail) -> letter.Reading:
    """The acts a reply performs, as the rules read them (for the model's training)."""
    texts = _texts(msg)
    found = [s for label, text in texts for s in sentences(label, text)]
    return letter.read(found, texts=texts, attachments=_attachments(msg))


def _attachments(msg: ParsedEmail) -> list[tuple[str, str | None, str | None]]:
    return [(a.filename, a.text, a.problem) for a in msg.attachments
            if not a.content_type.startswith("message/")]


def classify(msg: ParsedEmail, *, examples: Sequence[Example] = (),
             statistical: bool = True) -> Classification:
    """Classify one reply. Pure: the same mail (and examples) always give the same answer.

    ``examples`` are replies a person has labelled (``foibot mark``), usually from the same
    force: a reply written in the same house style as one of them takes its kind, with the
    shared words as evidence.
    """
    back = machine.returned(msg)
    if back is not None and back.failed:
        return Classification("bounce", (), None, back.evidence, 0.95,
                              failed_recipient=back.recipient, bounce_reason=back.reason)
    if back is not None:
        # a delay warning: the mail system is still trying; nothing to do, nothing failed
        return Classification("auto_reply", (), None, back.evidence, 0.9)
    asked = machine.challenge(msg)
    if asked is not None:
        return Classification("auto_reply", (), None,
                              (f"challenge-response: {asked}",), 0.9)
    texts = _texts(msg)
    found = [s for label, text in texts for s in sentences(label, text)]
    reading = letter.read(found, texts=texts, attachments=_attachments(msg))
    away = machine.away(msg)
    if away and not reading.has("away"):
        reading.acts.append(letter.Act("away", away))     # away wording in another language
    decision = letter.decide(reading, auto=machine.auto_headers(msg))
    if decision.kind == "acknowledgement" and not machine.about_a_request(msg):
        weak = machine.null_sender(msg)
        if weak or machine.auto_headers(msg):
            # "thank you for your e-mail, I will reply as soon as possible", from a responder
            decision = letter.Decision("auto_reply", 0.8,
                                       tuple(machine.auto_headers(msg) + [weak or ""]) [:4])
    kind, confidence, evidence = decision.kind, decision.confidence, decision.evidence
    if statistical and (kind == "unknown" or confidence < REVIEW_BELOW):
        second = _second_opinion(_own(found)[:MODEL_TEXT], [a.name for a in reading.acts])
        if second is not None and (kind == "unknown" or second[0] == kind):
            guess, p = second
            kind, confidence = guess, max(confidence, min(p, MODEL_CONFIDENCE))
            evidence = evidence + (f"word model: reads like {guess} ({p:.0%})",)
    elif statistical and confidence >= REVIEW_BELOW and kind in REPLIES:
        objection = _disagreement(_own(found)[:MODEL_TEXT], [a.name for a in reading.acts],
                                  kind)
        if objection is not None:
            confidence, evidence = min(confidence, 0.65), evidence + (objection,)
    like = nearest(examples, _own(found))
    if like is not None and (like.kind == kind or like.similarity > confidence):
        if like.kind != kind:
            evidence = (like.evidence,)
        else:
            evidence = evidence + (like.evidence,)
        kind, confidence = like.kind, max(confidence if like.kind == kind else 0.0,
                                          min(0.95, like.similarity))
    firm = [(s.source, s.text) for s in found if not s.boilerplate]
    sections, ncnd = find_sections(firm)
    if kind in ("acknowledgement", "auto_reply", "unknown"):
        sections, ncnd = (), False  # what these cite is boilerplate or a quote, not grounds
    joined = " ".join(normalise(text or "") for _, text in texts)
    return Classification(
        kind=kind,
        sections=sections,
        force_reference=force_reference(msg),
        evidence=tuple(evidence[:8]),
        confidence=confidence,
        ncnd=ncnd and kind in ("rejected", "partially_successful", "review_outcome"),
        extension_until=date_after(joined, UNTIL) if kind == "extension" else None,
        stated_due=date_after(joined, DUE) if kind == "acknowledgement" else None,
    )

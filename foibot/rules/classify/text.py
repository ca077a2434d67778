"""The force's own words, ready to be read: normalised, split into sentences, sorted.

A reply mixes what the force does ("I have decided to disclose") with what it must say on
every letter (the Act's two duties, the right to complain, a confidentiality footer), with what
it might do ("if the cost would exceed the limit we may refuse"), and sometimes with a copy of
our request. Only the first decides a reply's kind; :func:`sentences` keeps the rest apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from foibot.rules.classify.lexicon import BOILERPLATE, CONDITIONAL, NEGATION

# Sentences end at . ! ? ; and at a colon before a capital ("Response: Section 12 applies"); a
# numbered answer ("Q2.", "Answer 3", "2.") starts a new one.
_SENTENCE = re.compile(
    r"(?<=[.!?;])\s+(?=\S)|(?<=:)(?<![Dd]ecision:)\s+(?=[A-Z\d\[(\u2022•-])|\n\s*\n+"
    r"|\s+(?=(?:Q|Question|Request|Answer|Part|Point)\s?\d+[a-z]?\b)"
    r"|\n\s*(?=(?:\d{1,2}[a-z]?[.)]|[a-h][.)]|\u2022|•|-)\s)"
)


_PLAIN = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u00a0": " ", "\ufb01": "fi",
                        "\ufb02": "fl"})


def normalise(text: str) -> str:
    """Lower case, plain quotes and hyphens, no ligatures, whitespace collapsed (``split``
    and ``\\s`` agree on what whitespace is)."""
    return " ".join(text.translate(_PLAIN).split()).lower()


@dataclass(frozen=True)
class Sentence:
    source: str          # "text" or 'attachment "Response.pdf"'
    text: str            # normalised
    boilerplate: bool    # the Act's mechanics, complaint rights, footers

    def firm_at(self, start: int) -> bool:
        """Is the act found at ``start`` said firmly, not as a possibility? ("If the cost
        would exceed the limit we may refuse": both "exceed" and "refuse" are conditional.)"""
        clause = re.split(r"[.;:]\s", self.text[max(0, start - 160):start])[-1]
        return not CONDITIONAL.search(clause)

    def negated_at(self, start: int) -> bool:
        """"We have not refused", "rather than refuse": the act is denied, not done."""
        return bool(NEGATION.search(self.text[max(0, start - 25):start]))


def sentences(label: str, text: str) -> list[Sentence]:
    """The sentences of one source, with our quoted request left out."""
    found = []
    for piece in _SENTENCE.split(_without_request(text)):
        piece = normalise(piece or "")
        if piece:
            found.append(Sentence(label, piece, boilerplate=bool(BOILERPLATE.search(piece))))
    return found


_ASKED = re.compile(
    r"(?im)^[ \t]*(?:(?:you asked|your request(?: was)?|request(?: details)?|you wrote|"
    r"i note you seek[^\n:]*|you requested[^\n:]*|clarification(?: received| sought)?)[ \t]*:"
    r"|(?:request|your request|clarification))[ \t]*$"
)
_ANSWERED = re.compile(
    r"(?im)^[ \t]*(?:in response|our response|response|answer|decision|reply|in reply)\b[^\n]{0,40}$"
)


def _without_request(text: str) -> str:
    """Cut a restated request: a line such as "You asked:" up to the line that starts the
    answer ("In Response:", "Response", "Answer"). Forces quote the request before answering;
    its words are ours ("how many were withheld"), not the force's."""
    out = []
    position = 0
    for asked in _ASKED.finditer(text):
        if asked.start() < position:
            continue
        answered = _ANSWERED.search(text, asked.end())
        if answered is None or answered.start() - asked.end() > 4000:
            continue
        out.append(text[position:asked.end()])
        position = answered.start()
    out.append(text[position:])
    return "\n".join(out)

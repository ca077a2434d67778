"""Learning a force's house style from the replies a person has labelled.

When someone corrects or confirms a reading (``foibot mark``), the reply's words are kept as a
labelled :class:`Example`. Forces answer from their own templates, so the next reply from that
force in the same style ("Our data are not organised in such a way as to allow us to provide
this information within the appropriate (cost) limit ...") shares most of its wording with the
example: :func:`nearest` finds the example it resembles most, by the share of word sequences
the two have in common, and the classifier takes its kind when the resemblance is stronger than
its own reading. Pure: the examples are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SHINGLE = 5
ADOPT_AT = 0.5
"""Below this resemblance an example is a different letter, not the same house style."""


@dataclass(frozen=True)
class Example:
    force: str
    kind: str
    text: str            # the reply's own sentences, normalised (see text.normalise)
    label: str = ""      # how to name it in evidence: "reply of 3 Mar (FOI-7KQ2M)"


@dataclass(frozen=True)
class Like:
    example: Example
    similarity: float
    shared: str

    @property
    def kind(self) -> str:
        return self.example.kind

    @property
    def evidence(self) -> str:
        return (f'like the {self.example.label or "reply"} marked {self.example.kind} '
                f'({self.similarity:.0%} the same words): "{self.shared}"')


def _shingles(text: str) -> tuple[list[str], set[tuple[str, ...]]]:
    words = re.findall(r"[a-z]+", text.lower())
    return words, {tuple(words[i:i + SHINGLE]) for i in range(max(0, len(words) - SHINGLE + 1))}


def nearest(examples: Sequence[Example], text: str) -> Like | None:
    """The labelled example this text resembles most, if it resembles one enough."""
    if not examples or not text:
        return None
    words, mine = _shingles(text)
    if not mine:
        return None
    best: Like | None = None
    for example in examples:
        _, theirs = _shingles(example.text)
        if not theirs:
            continue
        common = mine & theirs
        similarity = len(common) / len(mine | theirs)
        if similarity >= ADOPT_AT and (best is None or similarity > best.similarity):
            best = Like(example, similarity, _first_shared(words, common))
    return best


def _first_shared(words: list[str], common: set[tuple[str, ...]]) -> str:
    """The first run of shared words, up to twelve, for the evidence line."""
    for i in range(max(0, len(words) - SHINGLE + 1)):
        if tuple(words[i:i + SHINGLE]) in common:
            end = i + SHINGLE
            while end < len(words) and end - i < 12 and tuple(words[end - SHINGLE + 1:end + 1]) in common:
                end += 1
            return " ".join(words[i:end])
    return ""

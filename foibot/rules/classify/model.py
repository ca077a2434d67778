"""A small statistical reader beside the rules: word features, a linear model, pure Python.

The rules (:mod:`.letter`) read a letter by the acts it performs; when they cannot tell (the
letter uses words no rule knows), this model gives a second opinion from the letter's
vocabulary, learned from the development part of the real corpus only. It is a multinomial
logistic regression over binary word and word-pair features plus the acts the rules found,
trained by :mod:`.training` (scikit-learn, a development tool) and shipped as ``model.json``;
here it is applied with nothing but arithmetic, so reading a reply needs no heavy import.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

_WORD = re.compile(r"[a-z]+")


def features(text: str, acts: list[str]) -> set[str]:
    """Binary features of a letter: its words, adjacent word pairs, and the rules' acts."""
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    found = set(words)
    found.update(f"{a} {b}" for a, b in zip(words, words[1:]))
    found.update(f"act:{name}" for name in acts)
    return found


@dataclass(frozen=True)
class Model:
    classes: tuple[str, ...]
    intercepts: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]    # feature -> one weight per class

    def probabilities(self, found: set[str]) -> dict[str, float]:
        weights = self.weights
        rows = [weights[f] for f in found if f in weights]
        # one sum per class over the letter's rows (zip does the transposing in C)
        scores = [b + sum(column) for b, column in zip(self.intercepts, zip(*rows))] \
            if rows else list(self.intercepts)
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps)}

    def to_doc(self) -> dict[str, object]:
        return {"classes": list(self.classes), "intercepts": list(self.intercepts),
                "weights": {k: [round(w, 3) for w in v] for k, v in sorted(self.weights.items())}}

    @classmethod
    def from_doc(cls, doc: dict[str, object]) -> "Model":
        weights = doc["weights"]
        assert isinstance(weights, dict)
        return cls(tuple(doc["classes"]), tuple(doc["intercepts"]),  # type: ignore[arg-type]
                   {k: tuple(v) for k, v in weights.items()})


@cache
def shipped() -> Model | None:
    """The model trained on the development corpus, if the package has one."""
    try:
        text = resources.files("foibot.rules.classify").joinpath("model.json").read_text("utf-8")
    except (FileNotFoundError, OSError):
        return None
    return Model.from_doc(json.loads(text))

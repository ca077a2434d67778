"""Names a person types: matched forgivingly, and when they match nothing, the nearest named.

Every command that takes a name from a fixed set (a force, a campaign, a reply's kind, an event
to record) says what it did not know and what was probably meant, in one line:

    >>> unknown("force", "Kentt", ["kent", "essex"])
    "no such force: 'Kentt' (did you mean kent?)"
    >>> nearest("not-held", ["not_held", "rejected"])
    'not_held'

Pure: difflib over the choices given, nothing else.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from foibot.errors import UsageError


def fold(text: str) -> str:
    """The form names are compared in: lower case; spaces, dashes and underscores alike; "&"
    is "and".

    >>> fold("  Not Held ")
    'not_held'
    >>> fold("Devon & Cornwall") == fold("devon-and-cornwall")
    True
    """
    text = text.strip().lower().replace("&", " and ").replace("-", " ").replace("_", " ")
    return "_".join(text.split())


def nearest(word: str, choices: Iterable[str], *, cutoff: float = 0.6) -> str | None:
    """The choice ``word`` most resembles (compared folded), or None when none is close."""
    by_fold: dict[str, str] = {}
    for choice in choices:
        by_fold.setdefault(fold(choice), choice)
    found = difflib.get_close_matches(fold(word), list(by_fold), n=1, cutoff=cutoff)
    return by_fold[found[0]] if found else None


def unknown(what: str, word: str, choices: Iterable[str], *, hint: str = "",
            suggestion: str | None = None) -> str:
    """``no such force: 'Kentt' (did you mean kent?)``; with no near choice, ``hint`` instead
    (e.g. ``see `foibot forces --group all```) or the choices themselves when they are few."""
    choices = list(choices)
    guess = suggestion if suggestion is not None else nearest(word, choices)
    if guess is not None:
        return f"no such {what}: {word!r} (did you mean {guess}?)"
    if hint:
        return f"no such {what}: {word!r} ({hint})"
    if choices and len(choices) <= 16:
        return f"no such {what}: {word!r} (expected one of {', '.join(choices)})"
    return f"no such {what}: {word!r}"


def resolve(what: str, word: str, choices: Iterable[str], *, hint: str = "") -> str:
    """The choice ``word`` names, compared folded (``Not held`` is ``not_held``); else a usage
    error naming the nearest."""
    choices = list(choices)
    wanted = fold(word)
    for choice in choices:
        if fold(choice) == wanted:
            return choice
    raise UsageError(unknown(what, word, choices, hint=hint))


def choose(what: str, word: str, choices: Iterable[str]) -> str:
    """Like :func:`resolve`, for a word from a short fixed list (a reply's kind, an event):
    ``--kind 'sucessful': did you mean successful? (one of: acknowledgement, ...)``."""
    choices = list(choices)
    wanted = fold(word)
    for choice in choices:
        if fold(choice) == wanted:
            return choice
    guess = nearest(word, choices)
    listed = ", ".join(choices)
    if guess is not None:
        raise UsageError(f"{what} {word!r}: did you mean {guess}? (one of: {listed})")
    raise UsageError(f"{what} {word!r}: expected one of {listed}")


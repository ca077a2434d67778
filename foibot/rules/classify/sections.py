"""The sections of FOIA 2000 and FOISA 2002 a letter cites as grounds for withholding.

    >>> find_sections([("text", "exempt under s.40(2) and sections 30 and 31(1)(a)")])
    (('30', '31(1)(a)', '40(2)'), False)
"""

from __future__ import annotations

import re

from foibot.rules.classify.lexicon import NCND

# Grounds for withholding: s.12 (cost), s.14 (vexatious/repeated) and the Part II exemptions of
# FOIA 2000 (ss.21-44) and FOISA 2002 (ss.25-41). s.1, s.9, s.10, s.13, s.16 and s.17 are the
# mechanics of a response, never grounds, and so are other Acts' sections quoted in the data.
_GROUNDS = {"12", "14", "22a"} | {str(number) for number in range(21, 45)}
_SECTION_KEY = re.compile(
    r"(?<![\w'])(?:sections?|ss?\.|s(?=\s?\d)|§)\s*(?=\d)"
)
# "21B of the Securities Exchange Act" is no FOIA section: a number runs into no letter but
# FOIA's own 22A.
_ITEM = re.compile(r"(\d{1,2}a?)(?![b-z\d])((?:\s?\(\s?(?:\d{1,2}[a-z]?|[a-z]|[ivx]{1,4})\s?\))*)")
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

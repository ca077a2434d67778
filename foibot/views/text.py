"""Text laid out for a terminal: long lines folded so a column a person reads down stays one."""

from __future__ import annotations

import re
import textwrap

_STAMPED = re.compile(r"^\s*\d{4}-\d\d-\d\d \d\d:\d\d  ")


# a row of a table laid out with tabs, bars or runs of spaces: folding it would scatter its
# columns, so it is left for the terminal to wrap
_LAID_OUT = re.compile(r"\t|\S {3,}\S| \| ")


def fold(lines: list[str], width: int, *, hang: int = 2, tables: bool = False) -> list[str]:
    """``lines`` folded to ``width`` columns, each continuation indented under the text it
    continues: ``hang`` columns past the line's own indent, or, for a timeline entry, under
    its text after the time, so the times stay a column to run an eye down. A word longer
    than the room left (a path, a Message-ID) is kept whole, to be copied as it is.
    ``tables``: the lines are someone else's text, whose table rows are left as they are."""
    out: list[str] = []
    for line in lines:
        stamped = _STAMPED.match(line)
        indent = len(stamped.group(0)) if stamped else len(line) - len(line.lstrip()) + hang
        if len(line) <= width or indent >= width // 2 or (tables and _LAID_OUT.search(line)):
            out.append(line)
            continue
        out += textwrap.wrap(line, width, subsequent_indent=" " * indent,
                             break_long_words=False, break_on_hyphens=False) or [line]
    return out

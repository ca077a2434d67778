"""The board: where every request of a campaign stands, as a person reads it.

:func:`load` derives the board from the events (the pure rule, :func:`foibot.rules.status.board`),
telling it which letters a live process is sending right now; :func:`render` prints it.

The board is read in a terminal, often 80 columns wide. It fits whatever width it is given:
short state words, dates as ``9 Dec``, the force's short name (``Kent``), and the columns a
person can do without (next action, then our reference, then theirs; on a very narrow screen
the day sent and the last reply) left out, in that order, before any cell would wrap; on a
screen narrower still, long force names are cut short with "…". ``wide`` shows every column
in full, however wide that is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from rich.cells import cell_len as _rich_cell_len, set_cell_size
from rich.color import ColorSystem
from rich.console import Console
from rich.text import Span, Text

from foibot import suggest
from foibot.app import App
from foibot.errors import UsageError
from foibot.mail.inflight import in_flight
from foibot.registry import Force, find_force
from foibot.rules.status import Board, RequestStatus, board
from foibot.timeutil import short_day

STATE_STYLE = {"responded": "green", "overdue": "red", "failed": "red bold",
               "clarification": "yellow", "fee": "yellow", "awaiting": "cyan", "review": "magenta"}
# The board's word for each state (the JSON keeps the state's own name).
STATE_WORDS = {"awaiting": "waiting", "clarification": "clarify", "review": "in review",
               "unsent": "not sent"}
NEEDS_REVIEW = "needs review"
# A reply's kind in a narrow column.
KIND_WORDS = {"acknowledgement": "ack", "partially_successful": "partial",
              "review_outcome": "review", "clarification": "clarify"}


def campaign_name(app: App, name: str | None) -> str:
    """The campaign named (in any case; a near miss names the nearest), or the only one."""
    names = app.campaigns.names()
    if name:
        hint = "" if names else "none exists yet: foibot campaign create NAME"
        return suggest.resolve("campaign", name, names, hint=hint)
    if len(names) == 1:
        return names[0]
    raise UsageError("name a campaign: " + (", ".join(names) if names else "none exists yet"))


def campaign_force(app: App, campaign: str, text: str) -> Force:
    """The force of one of ``campaign``'s requests that ``text`` names (``kent``, ``Kent
    Police``, ``Kent``), or one line saying what is wrong."""
    forces = [r.force for r in app.campaigns.requests(campaign)]
    try:
        return find_force(text, forces)
    except UsageError:
        pass
    force = app.registry.resolve(text)        # unknown anywhere: names the nearest
    raise UsageError(f"campaign {campaign!r} has no request to force {force.id!r}")


def load(app: App, name: str, today: date) -> Board:
    requests = app.campaigns.requests(name)
    return board(requests, today, in_flight=in_flight(requests))


# --- the table ------------------------------------------------------------------------------


def day(value: date | None, *, wide: bool) -> str:
    """``9 Dec`` (``2026-12-09`` when wide)."""
    if value is None:
        return ""
    return value.isoformat() if wide else short_day(value, year=False)


def state_word(r: RequestStatus) -> str:
    return NEEDS_REVIEW if r.needs_review else STATE_WORDS.get(r.state, r.state)


def _state(r: RequestStatus, wide: bool) -> str:
    if r.needs_review and wide:
        return f"{NEEDS_REVIEW} ({STATE_WORDS.get(r.state, r.state)})"
    return state_word(r)


def _state_style(r: RequestStatus) -> str:
    return "bold yellow" if r.needs_review else STATE_STYLE.get(r.state, "")


def _due(r: RequestStatus, wide: bool) -> str:
    text = day(r.due, wide=wide)
    if r.stated_due and r.stated_due != r.due:
        text += f" (force: {day(r.stated_due, wide=True)})" if wide else "*"
    return text


def _when(r: RequestStatus, wide: bool) -> str:
    st = r.standing
    if st is None or r.state not in ("awaiting", "overdue"):
        return ""
    return f"{st.working_days_late} late" if st.overdue else f"{st.working_days_left} left"


def _last(r: RequestStatus, wide: bool) -> str:
    if not r.last_reply:
        return ""
    kind = r.last_reply.kind
    word = kind.replace("_", " ") if wide else KIND_WORDS.get(kind, kind.replace("_", " "))
    return f"{word} {day(r.last_reply.day, wide=wide)}"


def plain_action(action: str) -> str:
    """A next action without the command in brackets, for a narrow column or an editor.

    >>> plain_action("send draft review (foibot send-draft)")
    'send draft review'
    """
    return action.split(" (foibot ")[0]


def _next(r: RequestStatus, wide: bool) -> str:
    """The next action; narrow, without the command in brackets (``foibot show`` has it)."""
    return r.next_action if wide else plain_action(r.next_action)


@dataclass(frozen=True)
class Column:
    header: str
    cell: Callable[[RequestStatus, bool], str]
    drops: int = 0          # 0: always shown; otherwise left out first when highest
    shrinks: bool = False   # cut short (with "…") when nothing else is left to drop
    style: Callable[[RequestStatus], str] | None = None


COLUMNS = (
    Column("force", lambda r, wide: r.request.force.name if wide else r.request.force.short_name,
           shrinks=True),
    Column("reference", lambda r, wide: r.request.reference, drops=4),
    Column("state", _state, style=_state_style),
    Column("sent", lambda r, wide: day(r.sent, wide=wide), drops=2),
    Column("due", _due),
    Column("left/late", _when),
    Column("last reply", _last, drops=1),
    Column("their ref", lambda r, wide: r.force_reference or "", drops=3),
    Column("next action", _next, drops=5),
)
GAP = "  "
MIN_SHRUNK = 8


@dataclass(frozen=True)
class Layout:
    """The board's table laid out for one width: the columns shown, each one's width, the
    cells, and the headers left out to fit."""

    columns: list[Column]
    widths: list[int]
    cells: list[list[str]]            # per row, per column shown
    dropped: list[str]

    @property
    def width(self) -> int:
        return sum(self.widths) + len(GAP) * (len(self.widths) - 1)


def fit(rows: list[RequestStatus], width: int, *, wide: bool = False) -> Layout:
    """Lay the board out in ``width`` columns: every cell on one line, the columns a person
    can do without left out (highest ``drops`` first) until the rest fit; if they still do
    not, the force's name is cut short. ``wide``: every column in full, however wide.

    Laid out by hand rather than by a rich ``Table``: the widths are known from the cells, and
    a board of thousands of requests renders in a blink."""
    every = {c.header: [c.cell(r, wide) for r in rows] for c in COLUMNS}
    natural = {c.header: max([cell_len(c.header), *map(cell_len, every[c.header])])
               for c in COLUMNS}
    shown = list(COLUMNS)
    dropped: list[str] = []

    def total(columns: list[Column]) -> int:
        return sum(natural[c.header] for c in columns) + len(GAP) * (len(columns) - 1)

    while not wide and total(shown) > width and any(c.drops for c in shown):
        first = max((c for c in shown if c.drops), key=lambda c: c.drops)
        shown.remove(first)
        dropped.append(first.header)
    widths = [natural[c.header] for c in shown]
    excess = 0 if wide else total(shown) - width
    for i, col in enumerate(shown):
        if excess > 0 and col.shrinks:
            cut = min(excess, max(widths[i] - MIN_SHRUNK, 0))
            widths[i] -= cut
            excess -= cut
    cells = [[every[c.header][n] for c in shown] for n in range(len(rows))]
    return Layout(shown, widths, cells, dropped)


def cell_len(text: str) -> int:
    """Terminal cells ``text`` takes: one a character for printable ASCII, which most cells
    are (rich measures each string through a cache that thousands of rows overflow)."""
    return len(text) if text.isascii() and text.isprintable() else _rich_cell_len(text)


def _fitted(text: str, width: int) -> str:
    """``text`` padded to ``width`` cells, or cut short with "…" (never mid-line wrapped)."""
    cells = cell_len(text)
    if cells <= width:
        return text + " " * (width - cells)
    return set_cell_size(text[: max(width - 1, 0)], max(width - 1, 0)) + "…"


def lines(layout: Layout, rows: list[RequestStatus]) -> list[Text]:
    """The header, a rule, then one line per row, styled (a state in its colour)."""
    header = GAP.join(_fitted(c.header, w) for c, w in zip(layout.columns, layout.widths))
    out = [Text(header.rstrip(), style="bold"), Text("─" * layout.width)]
    styled = [(i, col.style) for i, col in enumerate(layout.columns) if col.style]
    for r, cells in zip(rows, layout.cells):
        # built whole (the text, then its spans), not cell by cell: thousands of rows
        fitted = [_fitted(cell, w) for cell, w in zip(cells, layout.widths)]
        plain = GAP.join(fitted).rstrip()
        spans = []
        for i, style_of in styled:
            start = sum(len(f) for f in fitted[:i]) + len(GAP) * i
            end = min(start + len(fitted[i]), len(plain))
            style = style_of(r)
            if style and end > start:
                spans.append(Span(start, end, style))
        out.append(Text(plain, spans=spans))
    return out


_SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT,
            "truecolor": ColorSystem.TRUECOLOR, "windows": ColorSystem.WINDOWS}


def write_lines(console: Console, table: list[Text]) -> None:
    """Write lines that already fit as they are, each styled span in its colour (when the
    console shows colour): what ``console.print`` would write, without measuring, wrapping
    and cropping each of thousands of lines again."""
    system = _SYSTEMS.get(console.color_system or "")
    styles: dict[str, str] = {}

    def styled(text: str, style: str) -> str:
        if not style or system is None or not text:
            return text
        if style not in styles:
            found = console.get_style(style)
            found = found.without_color if console.no_color else found
            styles[style] = found.render("\x00", color_system=system)
        return styles[style].replace("\x00", text)

    out = []
    for line in table:
        plain = line.plain
        if not line.spans:
            out.append(styled(plain, str(line.style or "")))
            continue
        parts, at = [], 0
        for span in line.spans:
            parts.append(styled(plain[at:span.start], str(line.style or "")))
            parts.append(styled(plain[span.start:span.end], str(span.style)))
            at = span.end
        parts.append(styled(plain[at:], str(line.style or "")))
        out.append("".join(parts))
    console.file.write("\n".join(out) + "\n")
    console.file.flush()


def headline_lines(headline: str, width: int) -> list[str]:
    """The headline on one line, or broken between its parts where the terminal is narrow.

    >>> headline_lines("responded 3 · overdue 1 · waiting 2 = 6", 24)
    ['responded 3 · overdue 1', '· waiting 2 = 6']
    """
    if len(headline) <= width:
        return [headline]
    lines: list[str] = []
    for part in headline.split(" · "):
        if lines and len(lines[-1]) + len(part) + 3 <= width:
            lines[-1] += " · " + part
        else:
            lines.append(part if not lines else "· " + part)
    return lines


def render(console: Console, b: Board, rows: list[RequestStatus] | None = None, *,
           wide: bool = False) -> None:
    """The headline, then one row per force, fitted to the console (``wide``: everything)."""
    rows = b.rows if rows is None else rows
    for line in headline_lines(b.headline(), console.width):
        console.print(line, markup=False, highlight=False)
    layout = fit(rows, console.width, wide=wide)
    table = lines(layout, rows)
    if (wide or layout.width <= console.width) and not console.legacy_windows:
        write_lines(console, table)
    else:       # cannot fit even cut short: rich crops each line with an ellipsis
        console.print(Text("\n").join(table), no_wrap=True, overflow="ellipsis", crop=True)
    notes = []
    if not wide and any(r.stated_due and r.stated_due != r.due for r in rows):
        notes.append("* the force gave another date; foibot counts the Act's (foibot show REF)")
    if layout.dropped:
        order = [c.header for c in COLUMNS if c.header in layout.dropped]
        notes.append(f"left out to fit: {', '.join(order)} (--wide shows all)")
    for note in notes:
        console.print(note, markup=False, highlight=False)

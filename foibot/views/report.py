"""The campaign report: one self-contained HTML file to read, share, print or publish.

Everything is inline (CSS and SVG; no scripts, fonts, images or network), so the file opens
the same from an email attachment, a USB stick or a web server, and a Content-Security-Policy
forbids anything else. The figures table is sortable all the same: it is written once per
order (by force, then by each figure, largest first), and a column's heading links to its
order, which CSS shows (``:target``); with no script there is nothing for the policy to allow.

The page is for an editor: its timelines say what happened in plain words
(:func:`foibot.views.timeline.plain`), without the mail servers' replies, Message-IDs or the
classifier's evidence (``foibot show`` and the web view keep those).

Subjects come from strangers' emails, so the template is rendered with autoescaping on, in its
own Jinja2 environment (the letters' environment renders plain text and escapes nothing).

The view (:func:`build`) is plain data, so tests can check the numbers without parsing HTML;
:func:`render` turns it into the page; :func:`write` does both and replaces the file atomically.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any


from foibot.app import App
from foibot.letters.render import shipped_templates_dir
from foibot.rules import answers, clock
from foibot.rules.status import Board, RequestStatus
from foibot.timeutil import london, london_date, short_day
from foibot.views import board as board_view
from foibot.views import export, timeline

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"
STATE_ORDER = ("responded", "review", "overdue", "awaiting", "clarification", "fee", "failed",
               "uncertain", "sending", "unsent", "lapsed", "withdrawn")
STATE_LABELS = {
    "responded": "responded", "review": "internal review", "overdue": "overdue",
    "awaiting": "awaiting", "clarification": "clarification asked", "fee": "fee asked",
    "failed": "delivery failed", "uncertain": "send uncertain", "sending": "sending",
    "unsent": "not sent", "lapsed": "lapsed", "withdrawn": "withdrawn",
}


# --- the chart ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    """Geometry of the "answers by working day" chart, in SVG user units.

    The line is the cumulative number of substantive answers against working days after
    sending (each request counted on its own clock); the dashed marker is the statutory
    20th working day, and ``today_x`` where the oldest request stands today.
    """

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    span: int                 # last working day on the x axis
    total: int                # requests sent: the top of the y axis
    answered: int
    by_deadline: int          # answers on or before working day 20
    line: str                 # polyline points
    area: str                 # polygon points (the line closed down to the axis)
    x_ticks: tuple[tuple[float, str], ...]
    y_ticks: tuple[tuple[float, str], ...]
    deadline_x: float
    today_x: float | None
    today_day: int | None

    @property
    def plot_bottom(self) -> int:
        return self.height - self.bottom

    @property
    def plot_right(self) -> int:
        return self.width - self.right


def _step(limit: int, most: int) -> int:
    """A round tick step that puts at most ``most`` ticks on an axis running to ``limit``."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        if limit / step <= most:
            return step
    return max(1, limit // most)


def chart(days: Sequence[int], *, total: int, elapsed: int | None,
          deadline: int = clock.RESPONSE_DAYS, width: int = 720, height: int = 300) -> Chart:
    """Lay out the cumulative answers chart. Pure geometry: ``days`` are working days to answer.

    >>> c = chart([3, 20, 21], total=4, elapsed=30)
    >>> (c.answered, c.by_deadline, c.span)
    (3, 2, 30)
    """
    left, top, right, bottom = 48, 16, 16, 40
    span = max(deadline + 5, elapsed or 0, *days) if days else max(deadline + 5, elapsed or 0)
    ceiling = max(total, 1)
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: float) -> float:
        return round(left + plot_w * day / span, 1)

    def y(count: float) -> float:
        return round(top + plot_h * (1 - count / ceiling), 1)

    by_day = Counter(max(d, 0) for d in days)
    running = by_day[0]
    points = [(x(0), y(running))]
    for day in range(1, span + 1):
        points.append((x(day), y(running)))
        if by_day[day]:
            running += by_day[day]
            points.append((x(day), y(running)))
    line = " ".join(f"{px},{py}" for px, py in points)
    area = f"{line} {x(span)},{y(0)} {x(0)},{y(0)}"
    xs = _step(span, 10)
    ys = _step(ceiling, 5)
    return Chart(
        width=width, height=height, left=left, top=top, right=right, bottom=bottom,
        span=span, total=total, answered=len(days),
        by_deadline=sum(1 for d in days if d <= deadline), line=line, area=area,
        x_ticks=tuple((x(d), str(d)) for d in range(0, span + 1, xs)),
        y_ticks=tuple((y(c), str(c)) for c in range(0, ceiling + 1, ys)),
        deadline_x=x(deadline),
        today_x=x(elapsed) if elapsed is not None else None,
        today_day=elapsed,
    )


# --- the view -------------------------------------------------------------------------------


def short_date(day: date | None) -> str:
    return short_day(day) if day else ""


def headline(summary: dict[str, int]) -> str:
    """``32 of 44 forces responded`` (a substantive answer: not an acknowledgement)."""
    noun = "force" if summary["total"] == 1 else "forces"
    return f"{summary['responded']} of {summary['total']} {noun} responded"


def state_counts(rows: Sequence[RequestStatus]) -> list[dict[str, Any]]:
    counts = Counter(r.state for r in rows)
    order = [s for s in STATE_ORDER if counts[s]] + sorted(set(counts) - set(STATE_ORDER))
    return [{"state": s, "label": STATE_LABELS.get(s, s), "count": counts[s]} for s in order]


def _force_row(st: RequestStatus) -> dict[str, Any]:
    r, stand = st.request, st.standing
    overdue = stand is not None and st.state == "overdue"
    late = stand.working_days_late if stand and overdue else None
    left = stand.working_days_left if stand and st.state == "awaiting" else None
    stated = st.stated_due if st.stated_due and st.stated_due != st.due else None
    last = st.last_reply
    return {
        "force": r.force.id, "name": r.force.name, "regime": r.force.regime.upper(),
        "reference": r.reference, "state": st.state,
        "state_label": STATE_LABELS.get(st.state, st.state),
        "sent": short_date(st.sent), "due": short_date(st.due),
        "stated_due": short_date(stated), "late": late, "left": left,
        "long_overdue": bool(stand and overdue and stand.long_overdue),
        "last_reply": f"{last.kind.replace('_', ' ')}, {short_date(last.day)}" if last else "",
        "force_reference": st.force_reference or "",
        "next_action": board_view.plain_action(st.next_action),
        "chasers": len(st.chasers), "days_to_answer": export.days_to_answer(st),
    }


def _overdue(rows: Sequence[RequestStatus]) -> list[dict[str, Any]]:
    late = [r for r in rows if r.state == "overdue"]
    late.sort(key=lambda r: (-(r.standing.working_days_late if r.standing else 0),
                             r.request.force.name))
    return [{
        **_force_row(st),
        "chaser_history": [{"key": e.data.get("key", "chaser"),
                            "day": short_date(london_date(e.at))} for e in st.chasers],
    } for st in late]


def _sort_value(figure: answers.Figure | None) -> answers.Number | None:
    """Where a figure sorts by value: the number counted; ``<5`` by its bound; None (last)
    for ``redacted`` or ``not held``."""
    if figure is None:
        return None
    return figure.counted if figure.counted is not None else figure.high


def _answers(rows: Sequence[RequestStatus]) -> dict[str, Any]:
    given = [r.answers for r in rows]
    keys = answers.keys(given)
    totals = answers.totals(given)
    table = [{"force": r.request.force.id, "name": r.request.force.name,
              "values": [str(r.answers[k]) if k in r.answers else "" for k in keys],
              "figures": r.answers}
             for r in rows if r.answers]

    def by(key: str) -> list[dict[str, Any]]:
        def order(row: dict[str, Any]) -> tuple[bool, float, str]:
            value = _sort_value(row["figures"].get(key))
            return value is None, -(value or 0), row["name"]
        return sorted(table, key=order)

    return {
        "keys": keys,
        "rows": table,
        "sorted": [{"key": k, "rows": by(k)} for k in keys],
        "totals": [{"key": k, "sum": answers.format_number(totals[k].sum),
                    "forces": totals[k].forces, "text": totals[k].describe()} for k in keys],
    }


def _timeline(st: RequestStatus, today: date) -> dict[str, Any]:
    return {
        "force": st.request.force.id, "name": st.request.force.name,
        "reference": st.request.reference, "state": st.state,
        "email": st.request.email or "",
        "explanation": list(st.deadline.explain()) if st.deadline else [],
        "warnings": list(st.warnings), "stated_note": st.stated_note or "",
        "events": timeline.story(st.request, today),
    }


def build(app: App, campaign: str) -> dict[str, Any]:
    """The report's data: every number and line of text the page shows, already formatted."""
    now = app.now()
    today = london_date(now)
    info = app.campaigns.get(campaign)
    b: Board = board_view.load(app, campaign, today)
    rows = b.rows
    sent = [r for r in rows if r.sent is not None]
    days = [d for d in (export.days_to_answer(r) for r in rows) if d is not None]
    elapsed = max((clock.working_days_between(r.sent, today, export.regime(r))
                   for r in sent if r.sent is not None), default=None)
    summary = b.summary
    return {
        "campaign": campaign,
        "question": info.variables.get("question", ""),
        "generated": f"{london(now).day} {london(now):%B %Y, %H:%M %Z}",
        "generated_iso": london(now).isoformat(timespec="minutes"),
        "today": today.isoformat(),
        "headline": headline(summary),
        "summary": summary,
        "states": state_counts(rows),
        "forces": [_force_row(r) for r in rows],
        "chart": chart(days, total=len(sent), elapsed=elapsed) if sent else None,
        "overdue": _overdue(rows),
        "answers": _answers(rows),
        "timelines": [_timeline(r, today) for r in rows],
    }


def environment() -> jinja2.Environment:
    """The report's own environment: HTML autoescaping on, unknown names an error, and
    ``row.key`` read from the view's dicts as an item first. Jinja's default tries the
    attribute first, and a failed attribute look-up raised and caught for each of a page's
    hundreds of thousands of cells was a third of the time a report of 5,000 requests took
    to render. (A key named like a dict method, ``values``, is still written ``r["values"]``.)
    """
    import jinja2   # loaded when a report is written, not by every foibot start

    class Environment(jinja2.Environment):
        def getattr(self, obj: Any, attribute: str) -> Any:
            if type(obj) is dict and attribute in obj:
                return obj[attribute]
            return super().getattr(obj, attribute)

    return Environment(
        loader=jinja2.FileSystemLoader(str(shipped_templates_dir())),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(view: dict[str, Any]) -> str:
    return environment().get_template(TEMPLATE).render(**view)


def write(app: App, campaign: str, path: Path) -> dict[str, Any]:
    """Build, render and atomically replace ``path``; returns the view (for its headline)."""
    view = build(app, campaign)
    export.write(path, render(view).encode("utf-8"))
    return view

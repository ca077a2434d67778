"""``foibot due``: the statutory due date of a request received on a given day.

Other tools read this command's output: the ISO date is always the last line of plain output,
and ``--json`` prints one object with the same data.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

import typer

from foibot.errors import UsageError

if TYPE_CHECKING:
    from foibot.rules.clock import Regime


def register(app: typer.Typer) -> None:
    @app.command("due", short_help="The date by which a force must answer.")
    def due(
        when: str = typer.Argument(
            ...,
            metavar="WHEN",
            help="Day of receipt: 2026-12-01, or a date-time with offset (the London day counts).",
            show_default=False,
        ),
        regime: str = typer.Option(
            "foia", "--regime", help="foia (FOIA 2000) or foisa (FOISA 2002)."
        ),
        explain: bool = typer.Option(False, "--explain", help="Show how the date was counted."),
        as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
        extension_days: int | None = typer.Option(
            None,
            "--extension-days",
            metavar="N",
            help="Add a public interest extension of N working days (FOIA s.10(3)).",
            show_default=False,
        ),
    ) -> None:
        """Print the date by which a force must answer a request received WHEN.

        WHEN is a day (2026-12-01) or a date-time with offset (2026-07-10T23:30:00+00:00),
        taken as the calendar day in London. The ISO date is the last line printed.
        """
        from foibot.rules import clock
        from foibot.timeutil import parse_when

        received = parse_when(when, what="WHEN")
        regime_name = _regime(regime)
        deadline = clock.response_deadline(regime_name, [clock.ClockFact("received", received)])
        if extension_days is not None:
            if extension_days < 0:
                raise UsageError(f"--extension-days: expected 0 or more, got {extension_days}")
            deadline = clock.pit_extension(deadline, days=extension_days)
        assert deadline.due is not None  # only clarification or a fee stop the clock
        if as_json:
            print(json.dumps({
                "received": received.isoformat(),
                "regime": regime_name,
                "due": deadline.due.isoformat(),
                "working_days": clock.working_days_between(received, deadline.due, regime_name),
                "explanation": list(deadline.explanation),
                "warnings": list(deadline.warnings),
            }))  # fmt: skip
            return
        for warning in deadline.warnings:
            print(f"foibot: warning: {warning}", file=sys.stderr)
        if explain:
            print("\n".join(deadline.explanation))
        print(deadline.due.isoformat())


def _regime(text: str) -> Regime:
    from foibot.rules.clock import REGIMES

    for regime in REGIMES:
        if text.strip().lower() == regime:
            return regime
    raise UsageError(f"--regime: expected {' or '.join(REGIMES)}, got {text!r}")

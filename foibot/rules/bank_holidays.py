"""The UK's bank holidays by nation, as the ``holidays`` package gives them, read from a table
shipped with foibot.

Importing ``holidays`` and its UK module costs about 0.2 s, which every command that shows a
deadline would pay. ``bank_holidays.json`` beside the package data holds what ``holidays``
says for 2000 to 2100 (FOIA and FOISA came into force in 2005), each nation's days of each
year. A test compares it with the installed ``holidays`` and says when to rebuild it
(:func:`write_table`), so it never silently drifts. Years outside it are asked of
``holidays`` itself. Bank holidays proclaimed later (a coronation, a royal funeral) go in
``[clock] extra_holidays``, as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from functools import cache
from pathlib import Path

TABLE = Path(__file__).resolve().parent.parent / "data" / "bank_holidays.json"
NATIONS = ("ENG", "WLS", "SCT", "NIR")
FIRST, LAST = 2000, 2100


@cache
def _shipped() -> dict[str, object]:
    try:
        data = json.loads(TABLE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def of(nation: str, year: int) -> Mapping[date, str]:
    """The bank holidays of one nation (``ENG``, ``WLS``, ``SCT``, ``NIR``) in one year, each
    with its name ("; " between names that share a day, as ``holidays`` writes them)."""
    days = _shipped().get("days", {})
    found = days.get(nation, {}).get(str(year)) if isinstance(days, dict) else None
    if found is None:
        return from_package(nation, year)
    return {date(year, int(md[:2]), int(md[3:])): name for md, name in found}


def years() -> tuple[int, int]:
    """The years ``holidays`` covers for the UK (1872 to 2100 today)."""
    shipped = _shipped().get("package_years")
    if isinstance(shipped, list) and len(shipped) == 2:
        return int(shipped[0]), int(shipped[1])
    return package_years()


def from_package(nation: str, year: int) -> Mapping[date, str]:
    # imported only here: loading it is most of what a deadline costs
    import holidays

    return holidays.country_holidays("GB", subdiv=nation, years=year)


def package_years() -> tuple[int, int]:
    try:
        import holidays

        table = holidays.country_holidays("GB")
        return int(getattr(table, "start_year", 1872)), int(getattr(table, "end_year", 2100))
    except Exception:   # an unexpected holidays release: the range it has long covered
        return 1872, 2100


def build() -> dict[str, object]:
    """The table, as the installed ``holidays`` gives it."""
    import holidays

    return {
        "source": f"holidays {holidays.__version__}, country GB",
        "package_years": list(package_years()),
        "days": {nation: {str(year): sorted([d.strftime("%m-%d"), name]
                                            for d, name in from_package(nation, year).items())
                          for year in range(FIRST, LAST + 1)}
                 for nation in NATIONS},
    }


def write_table() -> Path:
    """Rebuild ``bank_holidays.json`` from the installed ``holidays`` (a test says when)."""
    TABLE.write_text(json.dumps(build(), ensure_ascii=False, separators=(",", ":")) + "\n",
                     encoding="utf-8")
    _shipped.cache_clear()
    return TABLE

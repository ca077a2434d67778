"""foibot benchmarks: each measurement runs beside its baseline and prints the ratio.

    python bench/run.py            # all
    python bench/run.py clock store

Baselines are what the code would be without the choice being measured (a ``holidays``
calendar built per call, TinyDB's own storage rewriting the file per insert), or the budget an
issue set (the demo's 30 seconds). Ratios below 1 mean foibot is faster than the baseline.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def best(fn: Callable[[], object], *, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def row(name: str, ours: float, base: float, base_name: str) -> None:
    print(f"{name:<38} {ours * 1000:10.1f} ms   {base_name:<28} {base * 1000:10.1f} ms"
          f"   ratio {ours / base:6.3f}")


def bench_clock() -> None:
    """44 deadlines (a status board): cached calendars vs building ``holidays`` per call."""
    import holidays

    from foibot.rules import clock

    days = [date(2026, 1, 5) + timedelta(days=7 * i) for i in range(44)]

    def ours() -> None:
        for d in days:
            clock.add_working_days(d, 20, "foia")

    def baseline() -> None:
        for d in days:
            cal = {}
            for sub in ("ENG", "WLS", "SCT", "NIR"):
                cal.update(holidays.country_holidays("GB", subdiv=sub, years=[d.year, d.year + 1]))
            n, day = 0, d
            while n < 20:
                day += timedelta(days=1)
                if day.weekday() < 5 and day not in cal:
                    n += 1

    ours()  # warm the cache as a running status view has it
    row("clock: 44 deadlines", best(ours), best(baseline), "holidays built per call")


def bench_store() -> None:
    """Appending 44 events one by one in one transaction: buffered vs TinyDB's JSONStorage."""
    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    from foibot.store import Store

    docs = [{"seq": i, "request": f"FOI-{i:05d}", "type": "sent", "data": {"x": "y" * 200}}
            for i in range(44)]

    def ours() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(Path(tmp))
            with store.db(Path(tmp) / "c.json") as db:
                table = db.table("events")
                for d in docs:
                    table.insert(d)

    def baseline() -> None:
        with tempfile.TemporaryDirectory() as tmp:
            db = TinyDB(Path(tmp) / "c.json", storage=JSONStorage)
            table = db.table("events")
            for d in docs:
                table.insert(d)
            db.close()

    row("store: 44 appends, one transaction", best(ours), best(baseline), "TinyDB JSONStorage")


def bench_classify() -> None:
    """Parsing and classifying the test corpus, per message, vs parsing alone."""
    from foibot.rules import classify
    from foibot.mail import parse as mailparse

    raws = [p.read_bytes() for p in sorted((ROOT / "tests" / "corpus").glob("*.eml"))]
    if not raws:
        print("classify: no corpus found")
        return

    def ours() -> None:
        for raw in raws:
            classify.classify(mailparse.parse(raw))

    def baseline() -> None:
        for raw in raws:
            mailparse.parse(raw)

    row(f"classify: parse+classify {len(raws)} mails", best(ours, repeat=3),
        best(baseline, repeat=3), "parse only")


def bench_demo() -> None:
    """The README's first command, end to end, against the issue's 30-second budget."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "foibot", "demo", "--quiet", "--state", tmp],
                              capture_output=True, text=True, cwd=ROOT)
        took = time.perf_counter() - start
    if done.returncode != 0:
        print("demo failed:", done.stderr.strip().splitlines()[-1:])
        return
    row("demo: 44 forces, 44 working days", took, 30.0, "budget (issue: < 30 s)")


BENCHES = {"clock": bench_clock, "store": bench_store, "classify": bench_classify,
           "demo": bench_demo}

if __name__ == "__main__":
    chosen = sys.argv[1:] or list(BENCHES)
    print(f"{'measurement':<38} {'foibot':>13}   {'baseline':<28} {'':>13}")
    for name in chosen:
        BENCHES[name]()

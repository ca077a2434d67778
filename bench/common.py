"""What every benchmark shares: timing, the result line, building a big state, servers.

Every measurement is printed beside a baseline run in the same process and on the same
machine, with the ratio; nothing here asserts a speed (tests never time anything).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
ENV = {"FOIBOT_NOW": "2026-12-10T10:00:00+00:00", "PYTHONPATH": str(ROOT)}


def median_time(fn: Callable[[], object], *, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def line(name: str, ours: float, base: float, base_name: str, *, unit: str = "s",
         note: str = "") -> None:
    """One measurement in 80 columns: foibot's figure and the ratio, then the baseline's
    figure from the same run, then any note."""
    scale, fmt = (1000.0, "{:10.1f} ms") if unit == "ms" else (1.0, "{:10.2f} s ")
    ratio = ours / base if base else float("inf")
    print(f"{name[:48]:<48}{fmt.format(ours * scale)}   ratio {ratio:6.2f}")
    print(f"  vs {base_name[:43]:<43}{fmt.format(base * scale)}")
    if note:
        print(f"  {note}")
    sys.stdout.flush()


def foibot(config: Path, *args: str, env: dict[str, str] | None = None,
           check: bool = True) -> tuple[float, int, subprocess.CompletedProcess[str]]:
    """Run ``foibot`` as a user would; returns (seconds, peak RSS in MB of its process tree's
    largest member, result). The peak is this run's own (``wait4`` on it), not the largest of
    every process the benchmark started so far."""
    argv = [sys.executable, "-m", "foibot", "--config", str(config), *args]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT,
                                env={**os.environ, **ENV, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        took = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)    # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(argv, proc.returncode, out.read().decode(),
                                           err.read().decode())
    if check and done.returncode != 0:
        raise SystemExit(f"foibot {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    return took, usage.ru_maxrss // 1024, done


def timed(argv: list[str], *, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, env={**os.environ, **ENV, **(env or {})}, cwd=ROOT,
                   check=True)
    return time.perf_counter() - start


def config(folder: Path, *, smtp: tuple[str, int] | None = None,
           imap: tuple[str, int, str, str] | None = None, extra: str = "") -> Path:
    from tests.helpers import write_config

    return write_config(folder, smtp=smtp, imap=imap, extra=extra)


def forces(count: int) -> str:
    """A ``[forces]`` section adding ``count`` bodies beyond the registry (for campaigns of
    newsroom size: every council, every trust)."""
    rows = ",\n".join(
        f'  {{ id = "body-{i:05d}", name = "Public Body {i}", email = "foi@body{i:05d}.example" }}'
        for i in range(count))
    return f"[forces]\nadd = [\n{rows}\n]\n"


def campaign_with(store_root: Path, name: str, count: int, *, sent: bool) -> list[str]:
    """A campaign of ``count`` requests written straight through the store (fast to build),
    each with its request letter recorded as sent when ``sent``; returns the references."""
    from foibot.registry import Force
    from foibot.store import Store

    store = Store(store_root)
    bodies = [Force(f"body-{i:05d}", f"Public Body {i}", "England", "foia",
                    f"foi@body{i:05d}.example", "bench") for i in range(count)]
    _, requests = store.campaigns.create(name, forces=bodies, group="all", template=None,
                                         variables={"question": "q"}, now=NOW)
    refs = [r.reference for r in requests]
    if sent:
        entries = []
        for ref in refs:
            mid = f"<foibot.{ref}.request.bench@newsroom.example>"
            entries += [(ref, "sending", {"key": "request", "message_id": mid, "to": "x"}),
                        (ref, "sent", {"key": "request", "message_id": mid, "response": "250"})]
        for i in range(0, len(entries), 20_000):
            store.campaigns.append(name, entries[i:i + 20_000], now=NOW + timedelta(hours=1))
    return refs

"""The README's first command, ``foibot demo``, end to end: a 44-force campaign over real SMTP
and IMAP on loopback through 44 working days, against the 30-second budget it was given."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time

from bench.common import ROOT, line

BUDGET = 30.0


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "foibot", "demo", "--quiet", "--state",
                               f"{tmp}/demo"], capture_output=True, text=True, cwd=ROOT)
        took = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"demo failed: {done.stderr.strip()[-300:]}")
    line("foibot demo, 44 forces", took, BUDGET, "the budget")


if __name__ == "__main__":
    main()

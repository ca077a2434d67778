"""Start-up: what every command pays before it does anything.

``foibot --help`` and ``foibot status`` (a campaign of 44) as a user runs them, against the floor
any typer command line pays in the same run: ``python -c "import typer"`` (foibot prints click's
plain help, so typer's rich help module is not part of the floor), and ``python -c pass`` for
the interpreter alone. Medians of 5,
after compiling foibot's bytecode once (an installed foibot has it; a checkout run with
PYTHONDONTWRITEBYTECODE would otherwise compile its sources on every start).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT, campaign_with, config, foibot, line, median_time, timed


def main() -> None:
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "foibot")], check=True,
                   capture_output=True)
    bare = median_time(lambda: timed([sys.executable, "-c", "pass"]), repeat=5)
    floor = median_time(lambda: timed([sys.executable, "-c", "import typer"]),
                        repeat=5)
    helped = median_time(lambda: timed([sys.executable, "-m", "foibot", "--help"]), repeat=5)
    line("foibot --help", helped, floor, "import typer", unit="ms",
         note=f"python alone {bare * 1000:.0f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        cfg = config(Path(tmp))
        campaign_with(Path(tmp) / "state", "bench", 44, sent=True)
        status = median_time(lambda: foibot(cfg, "status"), repeat=5)
        as_json = median_time(lambda: foibot(cfg, "status", "--json"), repeat=5)
    line("foibot status, 44 requests", status, floor, "import typer", unit="ms")
    line("foibot status --json, 44 requests", as_json, floor, "import typer",
         unit="ms")


if __name__ == "__main__":
    main()

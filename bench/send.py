"""Sending at newsroom scale: ``foibot send`` of 500 and 5,000 letters in one campaign.

Baseline, in the same run against the same server: a bare ``smtplib`` loop sending the same
letters, pre-rendered (the exact bytes ``foibot send --dry-run`` writes), on one connection,
recording nothing. The server is aiosmtpd's Sink in its own process, restarted for each run.
foibot's time includes start-up, rendering every letter, and the durable intent recorded
before each group of letters goes (the exactly-once promise).
"""

from __future__ import annotations

import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import campaign_with, config, foibot, line


@contextmanager
def sink() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                               "-c", "aiosmtpd.handlers.Sink"])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        server.wait()


def _bare_loop(port: int, messages: list[tuple[str, bytes]]) -> float:
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        for to, raw in messages:
            smtp.sendmail("jane@newsroom.example", [to], raw)
    return time.perf_counter() - start


def _run(count: int) -> tuple[float, float, int]:
    """(foibot seconds, baseline seconds, foibot's peak RSS in MB) for ``count`` letters."""
    with tempfile.TemporaryDirectory() as tmp, sink() as port:
        root = Path(tmp)
        cfg = config(root, smtp=("127.0.0.1", port))
        campaign_with(root / "state", "bench", count, sent=False)
        foibot(cfg, "send", "bench", "--dry-run")
        emls = sorted((root / "state").rglob("*.eml"))
        assert len(emls) == count, f"dry run wrote {len(emls)} letters, not {count}"
        messages = [(f"foi@{p.stem.replace('body-', 'body')}.example", p.read_bytes())
                    for p in emls]
        base = _bare_loop(port, messages)
        ours, peak, done = foibot(cfg, "send", "bench", "--json")
        assert done.stdout.count('"FOI-') >= count, "not every letter was reported sent"
        return ours, base, peak


def main() -> None:
    per_letter = {}
    for count in (500, 5000):
        ours, base, peak = _run(count)
        per_letter[count] = ours / count
        line(f"send {count:,} letters, one campaign", ours, base, "bare smtplib loop",
             note=f"peak {peak} MB")
    line("send: time per letter, 5,000", per_letter[5000], per_letter[500], "same, 500",
         unit="ms", note="flat if near 1")


if __name__ == "__main__":
    main()

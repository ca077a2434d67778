"""The board at newsroom scale: status and report over 5,000 requests and 50,000 messages.

Each request has its letter sent, an acknowledgement and, for most, an answer filed from the
mail index (50,000 messages stored). Timed as a user runs them (``foibot status --json``,
``foibot status``, ``foibot report --html``); baseline in the same run: the same commands on a
campaign of 44, and ``foibot --help`` (start-up alone).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from bench.common import NOW, campaign_with, config, foibot, line, median_time, timed


def _state(root: Path, requests: int, messages: int) -> Path:
    from foibot.store import Source, Store

    cfg = config(root)
    refs = campaign_with(root / "state", "bench", requests, sent=True)
    store = Store(root / "state")
    per = max(1, messages // requests)
    entries = []
    count = 0
    batch = []
    for n, ref in enumerate(refs):
        for k in range(per):
            raw = b"Message-ID: <%d.%d@bench>\r\n\r\nWe hold the information.\r\n%s" % (
                n, k, b"x" * 1500)
            batch.append((Source("INBOX", 1, count), raw))
            count += 1
        kind = "acknowledgement" if n % 5 == 0 else "successful"
        entries.append((ref, "reply", {"message": f"{n:064x}", "kind": kind, "confidence": 0.9,
                                       "needs_review": False, "sections": [], "evidence": [],
                                       "date": (NOW + timedelta(days=5 + n % 20)).isoformat(),
                                       "from": "foi@body.example", "subject": "RE: request"}))
        if len(batch) >= 5000:
            store.mail.store_batch(batch, now=NOW)
            batch = []
    if batch:
        store.mail.store_batch(batch, now=NOW)
    for i in range(0, len(entries), 10_000):
        store.campaigns.append("bench", entries[i:i + 10_000], now=NOW + timedelta(days=30))
    return cfg


def main() -> None:
    with tempfile.TemporaryDirectory() as big, tempfile.TemporaryDirectory() as small:
        cfg_big = _state(Path(big), 5000, 50_000)
        cfg_small = _state(Path(small), 44, 440)
        env = {"FOIBOT_NOW": "2027-02-01T10:00:00+00:00", "COLUMNS": "120"}
        startup = median_time(lambda: timed(["python", "-m", "foibot", "--help"]), repeat=3)
        for args in (("status", "--json"), ("status",), ("report", "--html", "r.html")):
            args_big = args if args[0] != "report" else ("report", "--html", f"{big}/r.html")
            args_small = args if args[0] != "report" else ("report", "--html", f"{small}/r.html")
            ours = median_time(lambda: foibot(cfg_big, *args_big, env=env), repeat=3)
            base = median_time(lambda: foibot(cfg_small, *args_small, env=env), repeat=3)
            line(f"{' '.join(args[:2])}: 5,000 requests", ours, base, "same, 44 requests",
                 note=f"start-up alone {startup:.2f} s")


if __name__ == "__main__":
    main()

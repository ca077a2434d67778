"""State cost per event: the same at 44 requests and at 5,000, at 1,000 messages and 50,000.

Recording one event appends one line to the campaign's journal; storing one fetched message
appends to a pack and to the mail index. Baseline in the same run: TinyDB's own JSONStorage,
which rewrites the whole file on every insert (what foibot did before its journals).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from bench.common import NOW, campaign_with, line


def _append_cost(root: Path, name: str, refs: list[str], *, events: int = 200) -> tuple[float, float]:
    """Seconds and bytes per event, appending ``events`` events one by one."""
    from foibot.store import Store

    store = Store(root)
    journal = root / "campaigns" / name / "events.jsonl"
    store.campaigns.view(name)                     # warm: the journal read once
    size = journal.stat().st_size
    start = time.perf_counter()
    for i in range(events):
        store.campaigns.append_one(name, refs[i % len(refs)], "answer", {"values": {"n": i}},
                                   now=NOW)
    took = (time.perf_counter() - start) / events
    return took, (journal.stat().st_size - size) / events


def _tinydb_cost(rows: int, *, events: int = 50) -> float:
    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    with tempfile.TemporaryDirectory() as tmp:
        db = TinyDB(Path(tmp) / "c.json", storage=JSONStorage)
        table = db.table("events")
        table.insert_multiple({"seq": i, "request": "FOI-00000", "type": "sent",
                               "data": {"x": "y" * 60}} for i in range(rows))
        start = time.perf_counter()
        for i in range(events):
            table.insert({"seq": rows + i, "request": "FOI-00000", "type": "answer",
                          "data": {"values": {"n": i}}})
        took = (time.perf_counter() - start) / events
        db.close()
    return took


def _mail_cost(root: Path, existing: int, *, batches: int = 30) -> tuple[float, float, float]:
    """With ``existing`` messages stored: seconds for the first stored message in a new
    process (it reads the keys of all that are stored), then the median and the slowest of
    the ``batches`` one-message stores after it. A process looks its first few messages up
    in the key cache as read, then builds the key sets once: the slowest store pays that."""
    from foibot.store import Source, Store

    store = Store(root)
    mail = store.mail
    chunk = 2000
    for start in range(0, existing, chunk):
        mail.store_batch([(Source("INBOX", 1, start + i),
                           b"Message-ID: <%d@bench>\r\n\r\n%s" % (start + i, b"x" * 2000))
                          for i in range(min(chunk, existing - start))], now=NOW)
    mail = Store(root).mail                       # a fresh process's view
    start = time.perf_counter()
    mail.store_batch([(Source("INBOX", 1, existing + batches),
                       b"Message-ID: <first@bench>\r\n\r\nnew")], now=NOW)
    first = time.perf_counter() - start
    each = []
    for i in range(batches):
        start = time.perf_counter()
        mail.store_batch([(Source("INBOX", 1, existing + i),
                           b"Message-ID: <new-%d@bench>\r\n\r\nnew" % i)], now=NOW)
        each.append(time.perf_counter() - start)
    return first, statistics.median(each), max(each)


def main() -> None:
    with tempfile.TemporaryDirectory() as small, tempfile.TemporaryDirectory() as big:
        refs_small = campaign_with(Path(small), "c", 44, sent=True)
        refs_big = campaign_with(Path(big), "c", 5000, sent=True)
        t44, b44 = _append_cost(Path(small), "c", refs_small)
        t5k, b5k = _append_cost(Path(big), "c", refs_big)
        line("state: append one event, 5,000 requests", t5k, t44, "same, 44 requests", unit="ms",
             note=f"{b5k:.0f} vs {b44:.0f} bytes written per event")
        tiny44, tiny5k = _tinydb_cost(44 * 3), _tinydb_cost(5000 * 3)
        line("state: append one event, 5,000 requests", t5k, tiny5k, "TinyDB JSONStorage, 5,000",
             unit="ms", note=f"(TinyDB at 44: {tiny44 * 1000:.1f} ms)")
    with tempfile.TemporaryDirectory() as small, tempfile.TemporaryDirectory() as big:
        (f1k, m1k, x1k), (f50k, m50k, x50k) = (_mail_cost(Path(small), 1000),
                                                _mail_cost(Path(big), 50_000))
        line("mail: store one message, 50,000 stored", m50k, m1k, "same, 1,000 stored", unit="ms",
             note=f"medians of 30; slowest {x50k * 1000:.0f} vs {x1k * 1000:.0f} ms "
                  f"(the key sets built once)")
        line("mail: first store of a process, 50,000", f50k, f1k, "same, 1,000 stored", unit="ms",
             note="reads the key cache of every stored message once")


if __name__ == "__main__":
    main()

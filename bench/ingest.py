"""Ingest: the first poll of a big mailbox, against mbsync pulling the same mailbox.

A private Dovecot (as the tests start it) holds N realistic replies (bench/mailgen.py) to a
campaign's requests. In the same run:

- ``mbsync`` (Debian's isync) pulls the mailbox into a maildir: the baseline for "fetch and
  store everything durably" (it neither parses nor files anything);
- a bare imapclient fetch of every message (no storage at all), for scale;
- ``foibot poll``: fetched, stored durably, parsed once, classified, matched and filed.

Then, on the same state: a poll with nothing new against ``foibot --help`` (start-up), and a
poll of 10 new messages. Sizes: 1,000 and 10,000 (``--big`` adds 50,000).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import campaign_with, config, foibot, line, median_time, timed
from bench.mailgen import Replies


def _dovecot(root: Path):  # type: ignore[no-untyped-def]
    from tests.servers import DovecotServer

    return DovecotServer.start_private(root)


def _fill(server, replies: Replies, count: int) -> None:  # type: ignore[no-untyped-def]
    """Write the messages straight into the account's maildir (as delivery would)."""
    from tests.servers import mail_accounts

    home = server.root / "home" / server.username / "Maildir"
    accounts = mail_accounts()
    for sub in ("cur", "new", "tmp"):
        (home / sub).mkdir(parents=True, exist_ok=True)
        os.chown(home / sub, accounts.mail_uid, accounts.mail_gid)
    os.chown(home, accounts.mail_uid, accounts.mail_gid)
    host = socket.gethostname()
    for i in range(count):
        path = home / "cur" / f"{1700000000 + i}.M{i}P1.{host}:2,"
        path.write_bytes(replies.make(i))
        os.chown(path, accounts.mail_uid, accounts.mail_gid)


def _warm(server) -> float:  # type: ignore[no-untyped-def]
    """Index the mailbox (Dovecot builds it on first select) and time a bare fetch."""
    from imapclient import IMAPClient

    def fetch() -> None:
        with IMAPClient(server.host, port=server.port, ssl=False) as client:
            client.login(server.username, server.password)
            client.select_folder("INBOX", readonly=True)
            uids = client.search(["ALL"])
            for i in range(0, len(uids), 500):
                client.fetch(uids[i:i + 500], ["BODY.PEEK[]"])

    fetch()
    return median_time(fetch, repeat=3)


def _fetch_new(server, first: int, *, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    """A bare client's select, search and fetch of the messages from UID ``first`` on: the
    IMAP share of a poll of new mail (median of ``repeat``)."""
    from imapclient import IMAPClient

    def fetch() -> None:
        with IMAPClient(server.host, port=server.port, ssl=False) as client:
            client.login(server.username, server.password)
            client.select_folder("INBOX", readonly=True)
            uids = [u for u in client.search(["UID", f"{first}:*"]) if u >= first]
            if uids:
                client.fetch(uids, ["BODY.PEEK[]"])

    return median_time(fetch, repeat=repeat)


def _mbsync(server, where: Path) -> float:  # type: ignore[no-untyped-def]
    rc = where / "mbsyncrc"
    local = where / "maildir"
    rc.write_text(
        f"IMAPAccount bench\nHost {server.host}\nPort {server.port}\nUser {server.username}\n"
        f"Pass {server.password}\nSSLType None\nAuthMechs LOGIN\n\n"
        "IMAPStore remote\nAccount bench\n\n"
        f"MaildirStore local\nPath {local}/\nInbox {local}/INBOX\n\n"
        "Channel bench\nFar :remote:\nNear :local:\nPatterns INBOX\nCreate Near\nSync Pull\n"
        "SyncState *\n")

    def run() -> None:
        shutil.rmtree(local, ignore_errors=True)
        local.mkdir()
        subprocess.run(["mbsync", "-q", "-c", str(rc), "bench"], check=True,
                       capture_output=True)

    return median_time(run, repeat=3)


def _append(server, replies: Replies, start: int, count: int) -> None:  # type: ignore[no-untyped-def]
    from imapclient import IMAPClient

    with IMAPClient(server.host, port=server.port, ssl=False) as client:
        client.login(server.username, server.password)
        for i in range(start, start + count):
            client.append("INBOX", replies.make(i))


def run(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="foibot-bench-") as tmp:
        work = Path(tmp)
        dovecot_root = Path(tempfile.mkdtemp(prefix="foibot-bench-dovecot-"))
        server = _dovecot(dovecot_root)
        try:
            cfg = config(work, imap=(server.host, server.port, server.username, server.password),
                         extra="")
            cfg.write_text(cfg.read_text().replace("[imap]", "[imap]\nbatch_size = 500"))
            refs = campaign_with(work / "state", "bench", 1000, sent=True)
            replies = Replies(refs)
            _fill(server, replies, count)
            bare = _warm(server)
            mbsync = _mbsync(server, work) if shutil.which("mbsync") else None
            took, peak, done = foibot(cfg, "poll")
            line(f"ingest: first poll of {count:,}", took, mbsync or bare,
                 "mbsync, same mailbox" if mbsync else "bare imapclient fetch",
                 note=f"bare fetch {bare:.2f} s; peak {peak} MB; {done.stdout.strip()}")
            nothing, _, _ = foibot(cfg, "poll")
            helped = timed(["python", "-m", "foibot", "--help"])
            looked = _fetch_new(server, count + 1)
            line(f"poll, nothing new ({count:,} stored)", nothing, helped + looked,
                 "foibot --help + bare select and search", unit="ms",
                 note=f"bare select and search: {looked * 1000:.0f} ms")
            # Dovecot's own work on a big maildir after new mail (its rescans take from 0 to
            # about 1 s a command at 10,000 messages, whichever client asks) is in the baseline;
            # it varies so much from one round to the next that one round says little: median
            # of three rounds, each of 10 new messages
            bares, tens = [], []
            for round_ in range(3):
                _append(server, replies, count + 10 * round_, 10)
                bares.append(_fetch_new(server, count + 10 * round_ + 1, repeat=1))
                tens.append(foibot(cfg, "poll")[0])
            bare, ten = statistics.median(bares), statistics.median(tens)
            line(f"poll, 10 new ({count:,} stored)", ten, helped + bare,
                 "foibot --help + bare fetch of the 10", unit="ms",
                 note=f"bare select, search and fetch of the 10: {bare * 1000:.0f} ms "
                      f"(medians of 3 rounds)")
        finally:
            server.stop()
            shutil.rmtree(dovecot_root, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also 50,000 messages (slow)")
    parser.add_argument("--sizes", type=int, nargs="*")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1000, 10_000, 50_000] if args.big else [1000, 10_000])
    for count in sizes:
        run(count)
        time.sleep(0.2)


if __name__ == "__main__":
    main()

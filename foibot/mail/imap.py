"""The IMAP seam: a mailbox that yields new messages after a cursor, via imapclient.

Only this module speaks IMAP. Messages are fetched with ``BODY.PEEK[]`` so the mailbox's read
flags stay as they were unless the config asks for ``mark_seen``. A cursor per folder remembers
UIDVALIDITY and the highest UID stored; when UIDVALIDITY changes the folder is read again from
the start (the store de-duplicates, so nothing is doubled and nothing is lost).
"""

from __future__ import annotations

import socket
import ssl
import time
from typing import Callable, Iterator, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

from foibot.errors import MailError
from foibot.settings import ImapSettings, resolve_secret
from foibot.store import Cursor

T = TypeVar("T")

RECHECK_SECONDS = 5.0    # how late a server's missed IDLE wake-up can make a reply
NETWORK_ERRORS = (OSError, socket.timeout, IMAPClientError, ssl.SSLError, EOFError)


class Mailbox:
    """One IMAP account. Use as a context manager; reconnects on demand."""

    def __init__(self, server: ImapSettings) -> None:
        self.server = server
        self.client: IMAPClient | None = None
        self.selected: str | None = None   # the folder selected on this connection

    def __enter__(self) -> "Mailbox":
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def connect(self) -> IMAPClient:
        if self.client is not None:
            return self.client
        s = self.server
        try:
            context = ssl.create_default_context() if s.security != "none" else None
            client = IMAPClient(s.host, port=s.port, ssl=s.security == "ssl",
                                ssl_context=context, timeout=s.timeout_seconds)
            if s.security == "starttls":
                client.starttls(context)
        except NETWORK_ERRORS as exc:
            raise MailError(f"IMAP {s.host}:{s.port}: cannot connect: {_reason(exc)}") from None
        try:
            token_cmd = s.oauth2_token_command
            if token_cmd:
                token = resolve_secret("imap", None, token_cmd, "oauth2_token")
                client.oauth2_login(s.username or "", token or "")
            else:
                client.login(s.username or "", s.password() or "")
            self.selected = None
        except LoginError as exc:
            raise MailError(f"IMAP {s.host}:{s.port}: login refused for {s.username}: {_reason(exc)}") from None
        except NETWORK_ERRORS as exc:
            raise MailError(f"IMAP {s.host}:{s.port}: {_reason(exc)}") from None
        self.client = client
        return client

    def close(self) -> None:
        self.selected = None
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                try:
                    self.client.shutdown()
                except Exception:  # noqa: BLE001
                    pass
            self.client = None

    def drop(self) -> None:
        """Forget a broken connection without talking to the server."""
        self.selected = None
        if self.client is not None:
            try:
                self.client.shutdown()
            except Exception:  # noqa: BLE001
                pass
        self.client = None

    def has_idle(self) -> bool:
        return self.connect().has_capability("IDLE")

    def select(self, folder: str) -> int:
        """Select ``folder`` (once per connection); returns its UIDVALIDITY."""
        client = self.connect()
        info = client.select_folder(folder, readonly=not self.server.writes)
        self.selected = folder
        return int(info[b"UIDVALIDITY"])

    def new_uids(self, folder: str, cursor: Cursor | None) -> tuple[int, list[int]]:
        """(UIDVALIDITY, UIDs after the cursor). A changed UIDVALIDITY means: all UIDs.

        The folder stays selected for the fetches that follow: selecting again before each
        batch (and searching again) slows the server's next FETCH considerably.
        """
        uidvalidity = self.select(folder)
        start = 1
        if cursor is not None and cursor.uidvalidity == uidvalidity:
            start = cursor.last_uid + 1
        uids = [u for u in self.connect().search(["UID", f"{start}:*"]) if u >= start]
        return uidvalidity, sorted(uids)

    def _in(self, folder: str) -> IMAPClient:
        """The connection with ``folder`` selected (again, after a reconnect)."""
        client = self.connect()
        if self.selected != folder:
            self.select(folder)
        return client

    def fetch(self, folder: str, uids: list[int]) -> dict[int, bytes]:
        client = self._in(folder)
        data = client.fetch(uids, ["BODY.PEEK[]"])
        return {uid: bytes(item[b"BODY[]"]) for uid, item in data.items() if b"BODY[]" in item}

    def after_store(self, folder: str, uids: list[int]) -> None:
        """What the config asks once messages are safely stored: mark read, or move."""
        if not uids:
            return
        client = self._in(folder)
        if self.server.mark_seen:
            client.add_flags(uids, [b"\\Seen"])
        target = self.server.processed_folder
        if target and target != folder:
            if not client.folder_exists(target):
                client.create_folder(target)
            if client.has_capability("MOVE"):
                client.move(uids, target)
            else:
                client.copy(uids, target)
                client.delete_messages(uids)
                client.expunge(uids) if client.has_capability("UIDPLUS") else client.expunge()

    def find_message_ids(self, folder: str, message_ids: list[str]) -> set[str]:
        """Which of these Message-IDs are in ``folder`` (the Sent folder settles uncertain sends)."""
        client = self.connect()
        client.select_folder(folder, readonly=True)
        self.selected = None   # read-only: select again before fetching
        found = set()
        for mid in message_ids:
            if client.search(["HEADER", "Message-ID", mid]):
                found.add(mid)
        return found

    def append(self, folder: str, raw: bytes, *, seen: bool = True) -> None:
        client = self.connect()
        if not client.folder_exists(folder):
            client.create_folder(folder)
        client.append(folder, raw, flags=[b"\\Seen"] if seen else [])

    def wait(self, folder: str, seconds: float, *, after: Cursor | None = None) -> bool:
        """Wait for new mail with IDLE (True if the server said something), else sleep.

        IDLE reports only what arrives once it listens, so mail that came after the last
        poll (``after``, its cursor) but before this call is looked for first. Some servers
        (pymap among them) also miss mail that lands between that look and the start of
        IDLE, so with a cursor the wait is cut into slices of ``RECHECK_SECONDS`` and the
        folder is looked at again between them: such mail is seen a few seconds late, not
        left until the next one arrives.
        """
        client = self.connect()
        if not client.has_capability("IDLE"):
            time.sleep(seconds)
            return False
        deadline = time.monotonic() + seconds
        while True:
            info = client.select_folder(folder, readonly=True)
            self.selected = None
            if after is not None and _has_new(client, info, after):
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            client.idle()
            try:
                responses = client.idle_check(
                    timeout=left if after is None else min(left, RECHECK_SECONDS))
            finally:
                client.idle_done()
            if responses:
                return True
            if after is None:
                return False


def _has_new(client: IMAPClient, info: dict, after: Cursor) -> bool:
    """Whether the selected folder holds mail past ``after`` (or was recreated)."""
    if int(info[b"UIDVALIDITY"]) != after.uidvalidity:
        return True
    start = after.last_uid + 1
    # "n:*" always matches the highest UID, even when it is below n
    return any(uid >= start for uid in client.search(["UID", f"{start}:*"]))


def with_reconnect(mailbox: Mailbox, action: Callable[[], T], *, attempts: int = 4,
                   backoff: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> T:
    """Run ``action``; on a dropped connection reconnect with backoff and run it again."""
    for attempt in range(attempts):
        try:
            return action()
        except NETWORK_ERRORS as exc:
            mailbox.drop()
            if attempt == attempts - 1:
                s = mailbox.server
                raise MailError(f"IMAP {s.host}:{s.port}: connection lost: {_reason(exc)}") from None
            sleep(backoff * (2 ** attempt))
    raise AssertionError("unreachable")


def batches(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), max(1, size)):
        yield items[i:i + size]


def _reason(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, bytes):
        text = exc.decode()
    return text or type(exc).__name__

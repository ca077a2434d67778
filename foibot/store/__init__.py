"""The state dir and its one owner: every path and every table of foibot goes through here.

Layout (state schema 2)::

    campaigns/<name>/   a campaign: campaign.json, events.jsonl, letters-*.pack, brief.cache
    mail/               received mail: pack-*.pack, index.jsonl, state.json, keys.cache
    service/            the service: state.json (jobs, instance, queue), notified.jsonl
    review/             examples.jsonl: replies a person labelled, to learn each force's style
    drafts/<name>/      letters written for the user to read, edit and send (.eml)
    dry-run/<name>/     what `send --dry-run` would send (.eml)
    .lock               the inter-process lock every write takes
    run.lock            held by the one `foibot run` of this state dir

Why this shape: whatever grows with time is an append-only journal or pack, so recording one
more event or message costs the same at any size; whatever is small and mutable is a TinyDB
file rewritten atomically; a ``.cache`` is a copy of a journal's gist that is checked against
the journal and rebuilt from it when it does not match. A crash at any moment leaves every file
readable (see journal.py and files.py), and the lock lets the service, the web view and the
command line share one state dir. The rest of foibot asks the store for its repositories
(:attr:`Store.campaigns`, :attr:`Store.mail`, :attr:`Store.service`) and never builds a path
into the state dir.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from foibot.errors import StateError
from foibot.store.campaigns import CampaignStore, CampaignView
from foibot.store.examples import ExampleStore
from foibot.store.files import atomic_write_bytes, load_json
from foibot.store.mail import Cursor, MailStore, Source, StoredMessage
from foibot.store.service import ServiceStore

if TYPE_CHECKING:
    from filelock import FileLock

LOCK_TIMEOUT_SECONDS = 60.0

__all__ = ["CampaignStore", "CampaignView", "Cursor", "MailStore", "ServiceStore", "Source",
           "Store", "StoredMessage", "atomic_write_bytes", "load_json"]


class Store:
    """The state dir. Repositories are made on first use; the lock is re-entrant within one
    process (a transaction may call another repository's write)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._migrated = False
        self._file_lock: FileLock | None = None
        self._making_lock = threading.Lock()

    @property
    def _lock(self) -> FileLock:
        """One lock object per store (it is re-entrant only as one object), made by the first
        write: read-only commands never load filelock."""
        with self._making_lock:
            if self._file_lock is None:
                from filelock import FileLock

                self._file_lock = FileLock(str(self.root / ".lock"),
                                           timeout=LOCK_TIMEOUT_SECONDS)
            return self._file_lock

    def ensure(self) -> None:
        """Create the state dir (for `foibot init`)."""
        for sub in ("campaigns", "mail", "service"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the inter-process lock: every read-modify-write of state runs inside it."""
        from filelock import Timeout

        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                yield
        except Timeout:
            raise StateError(
                f"{self.root}: state is locked by another foibot process for over"
                f" {LOCK_TIMEOUT_SECONDS:.0f}s"
            ) from None

    def _upgraded(self) -> None:
        if not self._migrated:
            from foibot.store.migrate import upgrade

            upgrade(self.root, self.locked)
            self._migrated = True

    @cached_property
    def campaigns(self) -> CampaignStore:
        self._upgraded()
        return CampaignStore(self.root, self.locked)

    @cached_property
    def mail(self) -> MailStore:
        self._upgraded()
        return MailStore(self.root, self.locked)

    @cached_property
    def examples(self) -> ExampleStore:
        return ExampleStore(self.root, self.locked)

    @cached_property
    def service(self) -> ServiceStore:
        self._upgraded()
        return ServiceStore(self.root, self.locked)

    # --- files the user reads and edits --------------------------------------------------
    def draft_path(self, campaign: str, reference: str, key: str) -> Path:
        return self.root / "drafts" / campaign / f"{reference}.{key}.eml"

    def dry_run_dir(self, campaign: str) -> Path:
        return self.root / "dry-run" / campaign

    def relative(self, path: Path) -> str:
        """How events name a file of the state dir: relative, so the dir can be moved."""
        try:
            return str(Path(path).relative_to(self.root))
        except ValueError:
            return str(path)

    def resolve(self, name: str) -> Path:
        """The file an event names (relative to the state dir, or absolute as once stored)."""
        path = Path(name)
        return path if path.is_absolute() else self.root / path

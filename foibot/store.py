"""Durable state: TinyDB files under the state dir, written atomically under one lock.

Layout of the state dir::

    campaigns/<name>.json   one TinyDB file per campaign: its settings, requests and events
    mail.json               received messages (index) and IMAP sync cursors
    service.json            scheduler bookkeeping and pending notifications
    mail/<sha256>.eml       raw received messages, stored before they are interpreted
    outbox/<name>/<key>.eml the exact bytes of each letter, written before it is sent
    attachments/<sha256>/   attachments of received messages, with safe names
    .lock                   the inter-process lock

Why this shape: a write touches one small file, never everything ever stored; each write is
temporary file + fsync + rename, so a crash leaves either the old or the new file; and the lock
lets the scheduler and the CLI run at the same time. A file that cannot be read is reported by
name and never overwritten.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from filelock import FileLock, Timeout
from tinydb import TinyDB
from tinydb.storages import Storage

from foibot.errors import StateError

SCHEMA_VERSION = 1
LOCK_TIMEOUT_SECONDS = 60.0


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a crash leaves the old file or the new one, whole."""
    try:
        _atomic_write(path, data)
    except OSError as exc:
        raise StateError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _atomic_write(path: Path, data: bytes) -> None:
    if path.is_dir():
        raise IsADirectoryError(21, "is a directory (give a file name)")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_once(path: Path, data: bytes) -> bool:
    """Store content-addressed bytes; ``False`` if the file already holds them."""
    if path.exists():
        return False
    atomic_write_bytes(path, data)
    return True


class BufferedJSONStorage(Storage):
    """A TinyDB storage that reads its file once and writes it once, atomically, on close.

    TinyDB rewrites the whole file after every insert; inside one transaction that would be
    one rewrite per event. Buffering makes a transaction cost one read and at most one write.
    """

    def __init__(self, path: str | Path, *, writable: bool = True) -> None:
        self.path = Path(path)
        self.writable = writable
        self._data: dict[str, Any] | None = None
        self._loaded = False
        self._dirty = False

    def read(self) -> dict[str, Any] | None:
        if not self._loaded:
            self._data = load_json(self.path)
            self._loaded = True
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        if not self.writable:
            raise StateError(f"{self.path}: opened read-only")
        self._data = data
        self._loaded = True
        self._dirty = True

    def close(self) -> None:
        if self._dirty and self._data is not None:
            text = json.dumps(self._data, ensure_ascii=False, separators=(",", ":"))
            atomic_write_bytes(self.path, text.encode("utf-8"))
            self._dirty = False


def load_json(path: Path) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StateError(f"{path}: cannot read state file: {exc.strerror}") from None
    if not raw.strip():
        raise StateError(f"{path}: state file is empty (corrupt?); nothing was changed")
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StateError(f"{path}: state file is corrupt ({exc}); nothing was changed") from None
    if not isinstance(data, dict):
        raise StateError(f"{path}: state file is corrupt (not a JSON object); nothing was changed")
    return data


class Store:
    """The state dir. Use :meth:`db` for a locked, buffered transaction on one file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = FileLock(str(self.root / ".lock"), timeout=LOCK_TIMEOUT_SECONDS)

    def ensure(self) -> None:
        for sub in ("campaigns", "mail", "outbox", "attachments"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)

    # --- locking -------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with self._lock:
                yield
        except Timeout:
            raise StateError(
                f"{self.root}: state is locked by another foibot process for over"
                f" {LOCK_TIMEOUT_SECONDS:.0f}s"
            ) from None

    # --- files ---------------------------------------------------------------------------
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

    def campaign_path(self, name: str) -> Path:
        return self.root / "campaigns" / f"{name}.json"

    @property
    def mail_path(self) -> Path:
        return self.root / "mail.json"

    @property
    def service_path(self) -> Path:
        return self.root / "service.json"

    def raw_mail_path(self, sha256: str) -> Path:
        return self.root / "mail" / f"{sha256}.eml"

    def outbox_path(self, campaign: str, key: str) -> Path:
        return self.root / "outbox" / campaign / f"{key}.eml"

    @contextmanager
    def db(self, path: Path, *, write: bool = True) -> Iterator[TinyDB]:
        """A TinyDB on ``path``. Writes hold the lock for the whole read-modify-write."""
        if write:
            with self.locked():
                with self._open(path, writable=True) as db:
                    yield db
        else:
            with self._open(path, writable=False) as db:
                yield db

    @contextmanager
    def _open(self, path: Path, *, writable: bool) -> Iterator[TinyDB]:
        storage_holder: list[BufferedJSONStorage] = []

        def factory(*_: Any, **__: Any) -> BufferedJSONStorage:
            storage = BufferedJSONStorage(path, writable=writable)
            storage_holder.append(storage)
            return storage

        db = TinyDB(storage=factory)
        _check_schema(db, path, writable)
        ok = False
        try:
            yield db
            ok = True
        finally:
            if ok:
                db.close()
            else:
                # a failure mid-transaction writes nothing: the file keeps its last good state
                storage_holder[0]._dirty = False


def _check_schema(db: TinyDB, path: Path, writable: bool) -> None:
    meta = db.table("_meta")
    doc = meta.get(doc_id=1)
    if doc is None:
        if writable:
            meta.insert({"schema": SCHEMA_VERSION})
        return
    version = doc.get("schema")
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        raise StateError(
            f"{path}: state schema {version!r} is newer than this foibot understands"
            f" ({SCHEMA_VERSION}); upgrade foibot"
        )

"""Writing files so that a crash leaves the old content or the new, whole; and TinyDB on
such files for the state dir's small mutable tables.

Every write here is a temporary file, fsync, rename and directory fsync: a SIGKILL or a full
disk at any moment leaves the previous file readable and no partial file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tinydb import TinyDB
from tinydb.storages import Storage

from foibot.errors import StateError

SCHEMA_VERSION = 2
"""1: one TinyDB file per campaign and mail.json; 2: append-only journals (see the store)."""


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
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a file's creation or rename in ``folder`` durable."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def load_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from a state file; None if there is no file; a StateError if corrupt."""
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


class BufferedJSONStorage(Storage):
    """A TinyDB storage that reads its file once and writes it once, atomically, on close.

    TinyDB rewrites the whole file after every insert; inside one transaction that would be
    one rewrite per change. Buffering makes a transaction cost one read and at most one write.
    Only small tables live in such files (a campaign's requests, cursors, the service's
    bookkeeping): anything that grows with time is a journal instead.
    """

    def __init__(self, path: str | Path, *, writable: bool = True) -> None:
        self.path = Path(path)
        self.writable = writable
        self._data: dict[str, Any] | None = None
        self._loaded = False
        self.dirty = False

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
        self.dirty = True

    def close(self) -> None:
        if self.dirty and self._data is not None:
            text = json.dumps(self._data, ensure_ascii=False, separators=(",", ":"))
            atomic_write_bytes(self.path, text.encode("utf-8"))
            self.dirty = False


@contextmanager
def tinydb(path: Path, *, writable: bool) -> Iterator[TinyDB]:
    """A TinyDB over one small state file; written once, atomically, if the block succeeds.

    The caller holds the store's lock for a write. A failure inside the block writes nothing.
    """
    holder: list[BufferedJSONStorage] = []

    def factory(*_: Any, **__: Any) -> BufferedJSONStorage:
        storage = BufferedJSONStorage(path, writable=writable)
        holder.append(storage)
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
            holder[0].dirty = False


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

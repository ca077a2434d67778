"""Append-only journals: one JSON object per line, appended durably, read incrementally.

Everything in the state dir that grows with time (a campaign's events, the mail index, the
notifications ever produced) is a journal, so that recording one more thing costs the same
whether the file holds ten records or ten million: one ``write`` of the new lines and one
``fsync``, never a rewrite.

Crash safety: lines are only ever appended. A process killed mid-append (or a full disk) can
leave a last line without its newline; readers ignore such a torn tail, and the next append,
made under the store's lock, cuts it off first. A failed append is cut back at once, so a full
disk leaves no partial record either. A line that is not valid JSON *before* the end is
corruption, reported by file and line, and nothing is written over it.

A :class:`Journal` object remembers how far it has read, so a long-lived process (the web view,
the service, a send of 5,000 letters) reads only what other processes appended since.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from foibot.errors import StateError
from foibot.store.files import fsync_dir

Record = dict[str, Any]


def encode(record: Record) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


class Journal:
    """One append-only JSON-lines file. Appends must be made under the store's lock."""

    def __init__(self, path: Path, *, decode: Callable[[bytes], Any] | None = None) -> None:
        self.path = path
        self._decode = decode or json.loads
        self._identity: tuple[int, int] | None = None
        self._offset = 0
        self._lines = 0

    # --- reading ---------------------------------------------------------------------------
    def read_new(self, *, limit: int | None = None) -> tuple[bool, list[Any]]:
        """``(reset, records)``: the complete records appended since the last call.

        ``reset`` is True when the file is not the one read before (replaced by a compaction
        or a migration, or removed): the records then start from the beginning and the caller
        drops what it had. With ``limit``, about that many bytes of records at most (at least
        one record): call again until none come back.
        """
        reset, data = self.read_new_bytes(limit=limit)
        lines = data.splitlines()
        first = self._lines
        self._lines += len(lines)
        records = self._decode_lines(lines)
        if records is not None:
            return reset, records
        records = []
        for number, raw in enumerate(lines, first + 1):
            if not raw.strip():
                continue
            try:
                records.append(self._decode(raw))
            except (ValueError, UnicodeDecodeError) as exc:
                raise StateError(f"{self.path}: line {number} is corrupt ({exc}); "
                                 "nothing was changed") from None
        return reset, records

    def _decode_lines(self, lines: list[bytes]) -> list[Any] | None:
        """All lines decoded as one JSON array (twice as fast as line by line), or None when
        that fails or a line did not hold exactly one record; the caller then decodes line by
        line to say which line is corrupt."""
        if self._decode is not json.loads or not lines:
            return None if lines else []
        lines = [raw for raw in lines if raw.strip()]
        try:
            records = json.loads(b"[" + b",".join(lines) + b"]")
        except (ValueError, UnicodeDecodeError):
            return None
        if len(records) != len(lines) or not all(isinstance(r, dict) for r in records):
            return None
        return records

    def read_new_bytes(self, *, limit: int | None = None) -> tuple[bool, bytes]:
        """Like :meth:`read_new`, but the complete new lines as bytes, for a caller that
        scans them faster than it could decode each (the mail index's keys)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            reset = self._identity is not None
            self._identity, self._offset, self._lines = None, 0, 0
            return reset, b""
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read: {exc.strerror}") from None
        try:
            st = os.fstat(fd)
            identity = (st.st_dev, st.st_ino)
            changed = identity != self._identity or st.st_size < self._offset
            reset = changed and self._identity is not None
            if changed:
                self._offset, self._lines = 0, 0
            self._identity = identity
            if st.st_size == self._offset:
                return reset, b""
            os.lseek(fd, self._offset, os.SEEK_SET)
            left = st.st_size - self._offset
            data = _read_all(fd, min(left, limit) if limit else left)
            while limit and len(data) < left and b"\n" not in data:
                data += _read_all(fd, min(left - len(data), limit))  # a record over the limit
        finally:
            os.close(fd)
        end = data.rfind(b"\n") + 1          # a torn last line waits (or is cut off)
        self._offset += end
        return reset, data[:end]

    def resume(self, offset: int, *, identity: tuple[int, int]) -> None:
        """Continue reading from ``offset`` of the file known as ``identity`` (a checkpoint
        kept by the caller, such as the mail index's key cache)."""
        self._identity, self._offset, self._lines = identity, offset, 0

    def read_all(self) -> list[Any]:
        """Every complete record, from the start (a fresh read)."""
        self._identity, self._offset, self._lines = None, 0, 0
        return self.read_new()[1]

    @property
    def identity(self) -> tuple[int, int] | None:
        """The (device, inode) of the file the records read so far came from."""
        return self._identity

    @property
    def offset(self) -> int:
        """How many bytes of the file the records read so far came from."""
        return self._offset

    def read_from(self, offset: int) -> tuple[int, list[Any]]:
        """The records from byte ``offset`` on (a checkpoint), and the offset after them."""
        end, records, _ = self.read_from_with_offsets(offset)
        return end, records

    def read_from_with_offsets(self, offset: int) -> tuple[int, list[Any], list[int]]:
        """Like :meth:`read_from`, with the byte offset at which each record starts."""
        try:
            with open(self.path, "rb") as fh:
                fh.seek(offset)
                data = fh.read()
        except FileNotFoundError:
            return 0, [], []
        except OSError as exc:
            raise StateError(f"{self.path}: cannot read: {exc.strerror}") from None
        end = data.rfind(b"\n") + 1
        lines, offsets = [], []
        position = offset
        for raw in data[:end].split(b"\n")[:-1]:
            if raw.strip():
                lines.append(raw)
                offsets.append(position)
            position += len(raw) + 1
        fast = self._decode_lines(lines)
        if fast is not None:
            return offset + end, fast, offsets
        records = []
        for raw in lines:
            try:
                records.append(self._decode(raw))
            except (ValueError, UnicodeDecodeError) as exc:
                raise StateError(f"{self.path}: a record after byte {offset} is corrupt "
                                 f"({exc}); nothing was changed") from None
        return offset + end, records, offsets

    # --- writing ---------------------------------------------------------------------------
    def append(self, records: Iterable[Record], *, sync: bool = True) -> int:
        """Append records durably (one write, one fsync); returns how many.

        The caller holds the store's lock, so no other process appends at the same time.
        """
        data = b"".join(encode(record) for record in records)
        if not data:
            return 0
        return self.append_bytes(data, sync=sync, count=data.count(b"\n"))

    def append_bytes(self, data: bytes, *, sync: bool = True, count: int = 0) -> int:
        """Append already-encoded lines (each ending in a newline)."""
        created = not self.path.exists()
        if created:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise StateError(f"{self.path}: cannot write: {exc.strerror}") from None
        try:
            size = _cut_torn_tail(fd, self.path)
            try:
                _write_all(fd, data)
                if sync:
                    os.fsync(fd)
            except OSError as exc:
                os.ftruncate(fd, size)   # a full disk leaves no partial record behind
                raise StateError(f"{self.path}: cannot write: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)
        return count

    def replace(self, records: Iterable[Record]) -> None:
        """Rewrite the journal with ``records`` (compaction, migration): atomically, so a
        crash leaves the old journal or the new one. Readers see a new file and start over."""
        from foibot.store.files import atomic_write_bytes

        atomic_write_bytes(self.path, b"".join(encode(record) for record in records))


def _read_all(fd: int, size: int) -> bytes:
    chunks = []
    left = size
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 24))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _cut_torn_tail(fd: int, path: Path) -> int:
    """If the file does not end in a newline (a crash mid-append), cut back to the last one.
    Returns the file's size after."""
    size = os.fstat(fd).st_size
    if size == 0:
        return 0
    if os.pread(fd, 1, size - 1) == b"\n":
        return size
    position = size
    while position > 0:
        start = max(0, position - 65536)
        chunk = os.pread(fd, position - start, start)
        found = chunk.rfind(b"\n")
        if found >= 0:
            keep = start + found + 1
            os.ftruncate(fd, keep)
            return keep
        position = start
    os.ftruncate(fd, 0)
    return 0

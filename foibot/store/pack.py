"""Pack files: many blobs (raw messages, letters as sent) appended to one file.

One file per message costs a create, an fsync, a rename and a directory fsync each; appending a
group of blobs to a pack and fsyncing once costs one write and one fsync for the whole group.
A blob is found by ``(pack, offset, length)`` kept in a journal record, written after the blob
is durable, so a record never points at bytes that are not on disk. A crash mid-append leaves
unreferenced bytes at the end of the pack, which nothing reads.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from foibot.errors import StateError
from foibot.store.files import fsync_dir

PACK_LIMIT_BYTES = 512 * 1024 * 1024
"""A new pack is started when the current one passes this size (keeps files copyable)."""


@dataclass(frozen=True)
class Location:
    pack: str        # the pack's file name, relative to its folder
    offset: int
    length: int

    def to_doc(self) -> dict[str, Any]:
        return {"pack": self.pack, "offset": self.offset, "length": self.length}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> Location:
        return cls(str(doc["pack"]), int(doc["offset"]), int(doc["length"]))


class Packs:
    """The packs of one folder (``mail/`` or a campaign's folder). Appends under the lock."""

    def __init__(self, folder: Path, *, prefix: str = "pack") -> None:
        self.folder = folder
        self.prefix = prefix

    def _current(self) -> Path:
        existing = sorted(self.folder.glob(f"{self.prefix}-*.pack"))
        if existing and existing[-1].stat().st_size < PACK_LIMIT_BYTES:
            return existing[-1]
        number = int(existing[-1].stem.rsplit("-", 1)[1]) + 1 if existing else 1
        return self.folder / f"{self.prefix}-{number:06d}.pack"

    def append(self, blobs: list[bytes], *, sync: bool = True) -> list[Location]:
        """Append blobs to the current pack, one write and (with ``sync``) one fsync."""
        if not blobs:
            return []
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._current()
        created = not path.exists()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        except OSError as exc:
            raise StateError(f"{path}: cannot write: {exc.strerror}") from None
        try:
            start = os.fstat(fd).st_size
            locations = []
            offset = start
            for blob in blobs:
                locations.append(Location(path.name, offset, len(blob)))
                offset += len(blob)
            try:
                data = b"".join(blobs)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
                if sync:
                    os.fsync(fd)
            except OSError as exc:
                os.ftruncate(fd, start)
                raise StateError(f"{path}: cannot write: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.folder)
        return locations

    def read(self, location: Location) -> bytes:
        path = self.folder / location.pack
        try:
            with open(path, "rb") as fh:
                fh.seek(location.offset)
                data = fh.read(location.length)
        except OSError as exc:
            raise StateError(f"{path}: cannot read: {exc.strerror}") from None
        if len(data) != location.length:
            raise StateError(f"{path}: shorter than its index says (truncated?)")
        return data

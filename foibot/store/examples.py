"""Replies a person has labelled (``foibot mark``), kept so foibot learns each force's style.

::

    review/examples.jsonl   {"force", "kind", "text", "label", "message", "at"}, append-only

The classifier is pure and takes the examples as an argument; this is only where they live.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foibot.store.journal import Journal
from foibot.timeutil import iso_utc

if TYPE_CHECKING:     # the classifier is imported only when examples are read
    from foibot.rules.classify.examples import Example

Lock = Callable[[], AbstractContextManager[None]]


class ExampleStore:
    def __init__(self, root: Path, lock: Lock) -> None:
        self._journal = Journal(root / "review" / "examples.jsonl")
        self._lock = lock
        self._by_force: dict[str, dict[str, Example]] = {}
        self._count = 0

    def add(self, example: Example, *, message: str | None, at: datetime) -> None:
        record: dict[str, Any] = {"force": example.force, "kind": example.kind,
                                  "text": example.text, "label": example.label,
                                  "message": message, "at": iso_utc(at)}
        with self._lock():
            self._journal.append([record])

    def for_force(self, force: str) -> list[Example]:
        """The force's labelled replies, the latest label of a message winning."""
        from foibot.rules.classify.examples import Example

        reset, records = self._journal.read_new()
        if reset:
            self._by_force = {}
        for r in records:
            self._count += 1
            key = r.get("message") or f"#{self._count}"
            self._by_force.setdefault(r["force"], {})[key] = Example(
                r["force"], r["kind"], r["text"], r.get("label", ""))
        return list(self._by_force.get(force, {}).values())

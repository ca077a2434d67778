"""Which pending letters a live process is sending now: the process table, read at the edge.

A letter whose intent is recorded but whose outcome is not is *pending*. The pure rules
(:mod:`foibot.rules.letter_state`) cannot tell whether its sender is still at work or was
killed; this module asks the operating system, for the board and the outbox alike.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable

from foibot.model import Request
from foibot.rules.letter_state import LetterState, letter_state

HOSTNAME = socket.gethostname()


def alive(state: LetterState) -> bool:
    """Is the process that wrote this pending intent still running on this host?"""
    pid = state.pid
    if state.host != HOSTNAME or not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def in_flight(requests: Iterable[Request]) -> frozenset[str]:
    """Message-IDs of the pending letters a live process is sending now (for the board)."""
    found = set()
    for request in requests:
        if not _maybe_pending(request):
            continue
        for event in request.events:
            if event.type == "sending":
                st = letter_state(request, str(event.data.get("key")))
                if st.state == "pending" and st.message_id and alive(st):
                    found.add(st.message_id)
    return frozenset(found)


def _maybe_pending(request: Request) -> bool:
    """Could a letter of this request be pending? Only if some Message-ID's last event is
    its ``sending``: a cheap pass that spares the exact rule for almost every request."""
    last: dict[object, str] = {}
    for event in request.events:
        if event.type in ("sending", "sent", "send_failed"):
            last[event.data.get("message_id")] = event.type
    return "sending" in last.values()


def effective(state: LetterState) -> str:
    """A letter's state as the sender sees it: ``pending`` split into ``sending`` (a live
    process has it) and ``uncertain`` (a crash interrupted it)."""
    if state.state == "pending":
        return "sending" if alive(state) else "uncertain"
    return state.state

"""Ending a long command on Ctrl-C or SIGTERM by unwinding, so its servers stop on the way out.

Python runs a signal handler between any two bytecodes, including inside a weakref callback or
a finaliser. An exception raised there is printed as "Exception ignored ... Traceback" and
dropped, and the command would carry on and exit 0. So the signal is also remembered:
:meth:`Interrupts.check` raises it again at the next checkpoint, and the dropped one is kept off
the terminal.
"""

from __future__ import annotations

import signal
import sys
from types import TracebackType
from typing import Any

WATCHED = (signal.SIGINT, signal.SIGTERM)


class Interrupts:
    """Within ``with Interrupts() as stop``: SIGINT raises KeyboardInterrupt, SIGTERM raises
    ``SystemExit(143)``, now and again at every ``stop.check()``."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self._previous: dict[int, Any] = {}
        self._hook: Any = None

    def __enter__(self) -> "Interrupts":
        self._previous = {sig: signal.signal(sig, self._handle) for sig in WATCHED}
        self._hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for sig, old in self._previous.items():
            signal.signal(sig, old)
        sys.unraisablehook = self._hook

    def check(self) -> None:
        """Raise the signal that came, if one did (it may have been swallowed where it landed)."""
        if self.signum is not None:
            self._raise(self.signum)

    def _handle(self, signum: int, _frame: object) -> None:
        self.signum = signum
        self._raise(signum)

    @staticmethod
    def _raise(signum: int) -> None:
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    def _unraisable(self, info: Any) -> None:
        if self.signum is not None and info.exc_type in (KeyboardInterrupt, SystemExit):
            return                      # ours, dropped by a finaliser: check() raises it again
        self._hook(info)

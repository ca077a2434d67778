"""``python -m foibot`` and the ``foibot`` console script.

The command line is imported inside :func:`main`, so a Ctrl-C that comes while foibot is still
starting is one line and exit code 130, like one that comes later, never a traceback.
"""

from __future__ import annotations

import gc
import sys

GC_THRESHOLD = (200_000, 30, 30)
"""A command builds hundreds of thousands of small objects that live until it exits (events,
parsed letters, JSON rows) and makes few reference cycles. At Python's default (a collection
every 700 new objects, each older generation every 10 of the younger) the collector re-scanned
them again and again: a quarter of ``foibot status`` on a 5,000-request campaign. Collections
still run, a few hundred times less often; the service and the web view stay bounded."""


def main() -> None:
    gc.set_threshold(*GC_THRESHOLD)
    try:
        from foibot.cli import run
    except KeyboardInterrupt:
        sys.stderr.write("foibot: interrupted\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()

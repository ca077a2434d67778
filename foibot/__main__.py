"""``python -m foibot`` and the ``foibot`` console script.

The command line is imported inside :func:`main`, so a Ctrl-C that comes while foibot is still
starting is one line and exit code 130, like one that comes later, never a traceback.
"""

from __future__ import annotations

import sys


def main() -> None:
    try:
        from foibot.cli import run
    except KeyboardInterrupt:
        sys.stderr.write("foibot: interrupted\n")
        sys.exit(130)
    run()


if __name__ == "__main__":
    main()

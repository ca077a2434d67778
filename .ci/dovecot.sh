#!/bin/sh
# Start a private Dovecot (from the dovecot-imapd package) in DIR for the IMAP tests, exactly as
# the dovecot_server fixture would, and print the line that points the tests at it:
#
#     eval "$(.ci/dovecot.sh /tmp/foibot-dovecot)"    # exports FOIBOT_TEST_DOVECOT
#
# PYTHON names the interpreter with foibot's test dependencies (default: python3).
# Stop it with: $PYTHON -m tests.servers dovecot-stop DIR
set -eu
if [ $# -ne 1 ]; then
    echo "usage: $0 DIR" >&2
    exit 2
fi
mkdir -p "$1"
dir=$(cd "$1" && pwd)
cd "$(dirname "$0")/.."
PYTHONPATH=".${PYTHONPATH:+:$PYTHONPATH}" exec "${PYTHON:-python3}" -m tests.servers dovecot "$dir"

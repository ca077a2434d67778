"""IMAP login with XOAUTH2 (``[imap] oauth2_token_command``) against a real Dovecot.

Microsoft 365 and Gmail no longer take passwords over IMAP, so foibot logs in with an OAuth2
access token printed by a command. Here a private Dovecot checks that token with its ``oauth2``
passdb, which asks a local introspection endpoint (RFC 7662) that knows exactly one token.
The endpoint records what it was asked, so each test can tell the token really went through
XOAUTH2 to the server and was judged there.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from foibot.app import App

from tests import servers
from tests.helpers import cli_process, write_config
from tests.servers import DovecotServer, TokenIntrospection

pytestmark = pytest.mark.dovecot

USER = "foibot"
GOOD_TOKEN = "good-token"
WRONG_TOKEN = "wrong-token"
NOW = "2026-12-01T10:00:00+00:00"

REPLY = (
    b"From: FOI Team <foi@kent.police.uk>\r\n"
    b"To: jane@newsroom.example\r\n"
    b"Subject: Your request\r\n"
    b"Message-ID: <oauth2-reply-1@kent.police.uk>\r\n"
    b"Date: Tue, 01 Dec 2026 09:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"We have received your request.\r\n"
)


@pytest.fixture(scope="module")
def introspection() -> Iterator[TokenIntrospection]:
    endpoint = TokenIntrospection({GOOD_TOKEN: USER}).start()
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="module")
def oauth2_dovecot(
    dovecot_binary: str, introspection: TokenIntrospection
) -> Iterator[DovecotServer]:
    """A private Dovecot of its own (the shared one has no oauth2 passdb) for ``USER``: XOAUTH2
    checked by ``introspection``, password logins kept for delivering test mail."""
    if servers.dovecot_version(dovecot_binary) >= (2, 4):
        if servers.in_ci():
            pytest.fail(servers.OAUTH2_NEEDS_23, pytrace=False)
        pytest.skip(servers.OAUTH2_NEEDS_23)
    root = servers.private_dovecot_dir()
    try:
        server = DovecotServer.start_private(
            root, binary=dovecot_binary, username=USER, introspection_url=introspection.url
        )
        yield server
        server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(oauth2_dovecot: DovecotServer) -> DovecotServer:
    oauth2_dovecot.empty()
    return oauth2_dovecot


def _config(tmp_path: Path, server: DovecotServer, token_command: str) -> Path:
    """A config whose [imap] has no password at all: only the token command."""
    imap = "\n".join([
        "[imap]",
        f'host = "{server.host}"',
        f"port = {server.port}",
        'security = "none"',
        f'username = "{USER}"',
        f'oauth2_token_command = "{token_command}"',
        "timeout_seconds = 10",
    ])
    return write_config(tmp_path, extra=imap + "\n")


def _poll(config: Path):
    return cli_process(config, "poll", env={"FOIBOT_NOW": NOW}, timeout=30)


def _state_bytes(state: Path) -> list[tuple[Path, bytes]]:
    return [(p, p.read_bytes()) for p in sorted(state.rglob("*")) if p.is_file()]


def test_poll_logs_in_with_the_token_and_stores_mail(tmp_path, dovecot, introspection):
    dovecot.deliver(REPLY)
    asked_before = len(introspection.asked)
    config = _config(tmp_path, dovecot, f"echo {GOOD_TOKEN}")

    done = _poll(config)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1 new: 0 matched, 1 triage, 0 bounce"
    # the login was an XOAUTH2 one, judged by the endpoint, not a password check (and Dovecot
    # accepts the token only for the user it belongs to: foibot sent the configured username)
    assert introspection.asked[asked_before:] == [GOOD_TOKEN]
    mail = App.load(config).store.mail
    assert [mail.raw(m) for m in mail.messages()] == [REPLY]
    # the token is a secret: in no state file and in no output
    files = _state_bytes(tmp_path / "state")
    assert files, "poll wrote no state"
    assert [p for p, data in files if GOOD_TOKEN.encode() in data] == []
    assert GOOD_TOKEN not in done.stdout + done.stderr
    # a second poll logs in again with a fresh token and finds nothing new
    again = _poll(config)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "0 new: 0 matched, 0 triage, 0 bounce"
    assert introspection.asked[asked_before:] == [GOOD_TOKEN, GOOD_TOKEN]


def test_wrong_token_is_refused_in_one_line(tmp_path, dovecot, introspection):
    dovecot.deliver(REPLY)
    asked_before = len(introspection.asked)
    config = _config(tmp_path, dovecot, f"echo {WRONG_TOKEN}")

    done = _poll(config)

    assert done.returncode == 1
    assert introspection.asked[asked_before:] == [WRONG_TOKEN]  # refused by the server
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    where = f"{dovecot.host}:{dovecot.port}"
    assert lines[0].startswith(f"foibot: IMAP {where}: login refused for {USER}: ")
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert WRONG_TOKEN not in done.stderr
    assert not list((tmp_path / "state").glob("mail/*.eml"))
    assert [p for p, data in _state_bytes(tmp_path / "state") if WRONG_TOKEN.encode() in data] == []


def test_failing_token_command_is_a_config_error(tmp_path, dovecot, introspection):
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho {GOOD_TOKEN}\necho 'token expired' >&2\nexit 1\n")
    script.chmod(0o755)
    asked_before = len(introspection.asked)
    config = _config(tmp_path, dovecot, str(script))

    done = _poll(config)

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "foibot: [imap] oauth2_token_command: exited with 1"
    ]
    assert done.stdout == ""
    assert introspection.asked[asked_before:] == []  # no login was tried
    assert GOOD_TOKEN not in done.stdout + done.stderr

"""The test servers themselves: each must behave like the real server foibot will meet,
fail exactly as asked, and leave no process behind."""

from __future__ import annotations

import os
import shlex
import shutil
import smtplib
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from imapclient import IMAPClient

from tests import servers
from tests.servers import (
    DovecotServer,
    ImapServer,
    MailAccounts,
    PymapServer,
    ReceivedMessage,
    SmtpServer,
    TcpCutter,
)

REPO = Path(__file__).resolve().parent.parent


def letter(subject: str = "FOI request: stop and search", *, padding: int = 0) -> bytes:
    head = (
        "From: foi@campaign.example\r\nTo: foi@x.police.uk\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{subject.replace(' ', '.')}@campaign.example>\r\n\r\n"
    )
    return head.encode() + b"Dear FOI officer,\r\n" + b"x" * padding + b"\r\n"


# --- IMAP, on both servers --------------------------------------------------------------------


def test_append_then_peek_returns_the_bytes_and_leaves_the_message_unseen(
    imap_server: ImapServer,
) -> None:
    raw = letter()
    uid = imap_server.deliver(raw)
    with imap_server.connect() as client:
        selected = client.select_folder("INBOX")
        assert selected[b"UIDNEXT"] == uid + 1
        assert selected[b"UIDVALIDITY"] == imap_server.status().uidvalidity
        fetched = client.fetch([uid], ["BODY.PEEK[]"])
        assert fetched[uid][b"BODY[]"] == raw
        assert b"\\Seen" not in client.get_flags([uid])[uid]
        client.fetch([uid], ["BODY[]"])  # the non-peek fetch is what marks it read
        assert b"\\Seen" in client.get_flags([uid])[uid]


def test_recreating_a_folder_empties_it_under_a_new_uidvalidity(imap_server: ImapServer) -> None:
    imap_server.create_folder("Replies")
    imap_server.deliver(letter(), "Replies")
    before = imap_server.status("Replies")
    imap_server.recreate_folder("Replies")
    after = imap_server.status("Replies")
    assert before.messages == 1
    assert after.messages == 0
    assert after.uidvalidity != before.uidvalidity


def test_empty_leaves_only_an_empty_inbox(imap_server: ImapServer) -> None:
    imap_server.create_folder("Replies")
    imap_server.deliver(letter(), "Replies")
    imap_server.deliver(letter())
    imap_server.empty()
    with imap_server.connect() as client:
        assert [name for _, _, name in client.list_folders()] == ["INBOX"]
    assert imap_server.status().messages == 0


def test_restarted_pymap_is_empty_with_a_new_uidvalidity(pymap_server: PymapServer) -> None:
    pymap_server.deliver(letter())
    before = pymap_server.status()
    old_pid = pymap_server.pid
    pymap_server.restart()
    assert pymap_server.pid != old_pid
    after = pymap_server.status()
    assert after.messages == 0
    assert after.uidvalidity != before.uidvalidity
    assert pymap_server.deliver(letter()) == 101
    assert old_pid is not None and servers.session_processes(old_pid) == []


# --- process hygiene --------------------------------------------------------------------------


@pytest.mark.dovecot
def test_stopped_private_dovecot_leaves_no_process(dovecot_binary: str) -> None:
    root = servers.private_dovecot_dir()
    try:
        server = DovecotServer.start_private(root, binary=dovecot_binary)
        pid = server.pid
        assert pid is not None and len(servers.session_processes(pid)) > 1  # master and its helpers
        server.stop()
        assert servers.session_processes(pid) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.dovecot
def test_ci_script_starts_a_dovecot_the_tests_can_use_and_stop(dovecot_binary: str) -> None:
    root = servers.private_dovecot_dir()
    env = {**os.environ, "PYTHON": sys.executable}
    try:
        started = subprocess.run(
            [str(REPO / ".ci" / "dovecot.sh"), str(root)],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=True,
        )
        [line] = started.stdout.splitlines()
        name, _, spec = shlex.split(line.removeprefix("export "))[0].partition("=")
        assert name == servers.DOVECOT_ENV
        server = DovecotServer.from_env(spec)
        assert server.deliver(letter()) == 1
        master = int((root / "run" / "master.pid").read_text())
        assert servers.session_processes(master)
        subprocess.run(
            [sys.executable, "-m", "tests.servers", "dovecot-stop", str(root)],
            cwd=REPO,
            env=env,
            timeout=30,
            check=True,
        )
        assert servers.session_processes(master) == []
    finally:
        shutil.rmtree(root, ignore_errors=True)


# --- Dovecot configuration and environment -----------------------------------------------------


@pytest.mark.parametrize("rootless", [False, True])
def test_dovecot_config_uses_the_syntax_of_its_version(rootless: bool) -> None:
    accounts = MailAccounts("dovenull", "dovecot", 999, 995, rootless=rootless)
    old = servers.dovecot_config(version=(2, 3), root=Path("/d"), port=1143, accounts=accounts)
    new = servers.dovecot_config(version=(2, 4), root=Path("/d"), port=1143, accounts=accounts)
    assert new.splitlines()[0] == "dovecot_config_version = 2.4.0"
    assert "auth_allow_cleartext = yes" in new and "disable_plaintext_auth" not in new
    assert "passwd_file_path = /d/users" in new and "mail_location" not in new
    assert "disable_plaintext_auth = no" in old and "dovecot_config_version" not in old
    assert "mail_location = maildir:~/Maildir" in old
    for config in (old, new):
        assert "port = 1143" in config
        assert ("chroot =" in config) is rootless


def test_dovecot_spec_from_the_environment_keeps_colons_in_the_password() -> None:
    server = DovecotServer.from_env("127.0.0.1:10143:foibot:pa:ss")
    assert (server.host, server.port, server.username, server.password) == (
        "127.0.0.1",
        10143,
        "foibot",
        "pa:ss",
    )
    assert server.env_spec == "127.0.0.1:10143:foibot:pa:ss"


def test_ci_is_recognised_from_the_ci_variable() -> None:
    assert servers.in_ci({"CI": "true"})
    assert not servers.in_ci({})
    assert not servers.in_ci({"CI": "false"})


# --- SMTP -------------------------------------------------------------------------------------


def send(smtp: SmtpServer, recipients: list[str], raw: bytes) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as client:
        return client.sendmail("foi@campaign.example", recipients, raw)


def test_smtp_records_each_delivered_message(smtp_server: SmtpServer) -> None:
    raw = letter()
    refused = send(smtp_server, ["foi@x.police.uk", "foi@y.police.uk"], raw)
    assert refused == {}
    assert smtp_server.messages == [
        ReceivedMessage("foi@campaign.example", ("foi@x.police.uk", "foi@y.police.uk"), raw)
    ]
    smtp_server.clear()
    assert smtp_server.messages == []


def test_smtp_rejects_a_configured_recipient_and_accepts_the_rest(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.reject("FOI@x.police.uk")
    refused = send(smtp_server, ["foi@x.police.uk", "foi@y.police.uk"], letter())
    code, reply = refused["foi@x.police.uk"]
    assert (code, reply.split()[0]) == (550, b"5.1.1")
    assert list(refused) == ["foi@x.police.uk"]
    assert [m.rcpt_tos for m in smtp_server.messages] == [("foi@y.police.uk",)]


@pytest.mark.parametrize(
    ("stage", "error"),
    [
        ("mail", smtplib.SMTPSenderRefused),
        ("rcpt", smtplib.SMTPRecipientsRefused),
        ("data", smtplib.SMTPDataError),
    ],
)
def test_smtp_fails_the_next_transactions_then_recovers(
    smtp_server: SmtpServer, stage: servers.Stage, error: type[smtplib.SMTPException]
) -> None:
    smtp_server.fail_next(2, stage=stage)
    for _ in range(2):
        with pytest.raises(error, match="451"):
            send(smtp_server, ["foi@x.police.uk"], letter())
    send(smtp_server, ["foi@x.police.uk"], letter())
    assert len(smtp_server.messages) == 1


def test_smtp_drops_the_connection_after_data_and_keeps_nothing(smtp_server: SmtpServer) -> None:
    smtp_server.drop_next()
    with pytest.raises(smtplib.SMTPServerDisconnected):
        send(smtp_server, ["foi@x.police.uk"], letter())
    assert smtp_server.messages == []
    send(smtp_server, ["foi@x.police.uk"], letter())
    assert len(smtp_server.messages) == 1


def test_smtp_reset_forgets_messages_rejections_and_faults(smtp_server: SmtpServer) -> None:
    send(smtp_server, ["foi@x.police.uk"], letter())
    smtp_server.reject("foi@x.police.uk")
    smtp_server.fail_next(1)
    smtp_server.reset()
    assert smtp_server.messages == []
    assert send(smtp_server, ["foi@x.police.uk"], letter()) == {}
    assert len(smtp_server.messages) == 1


# --- TCP cutter -------------------------------------------------------------------------------


def read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_unarmed_cutter_carries_a_whole_fetch(
    pymap_server: PymapServer, tcp_cutter: Callable[[ImapServer], TcpCutter]
) -> None:
    raw = letter(padding=50_000)
    uid = pymap_server.deliver(raw)
    cutter = tcp_cutter(pymap_server)
    with IMAPClient(cutter.host, port=cutter.port, ssl=False, timeout=10) as client:
        client.login(pymap_server.username, pymap_server.password)
        client.select_folder("INBOX")
        assert client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == raw
    assert cutter.cuts == 0


def test_cutter_hangs_up_in_the_middle_of_a_fetch(
    imap_server: ImapServer, tcp_cutter: Callable[[ImapServer], TcpCutter]
) -> None:
    uid = imap_server.deliver(letter(padding=50_000))
    cutter = tcp_cutter(imap_server)
    client = IMAPClient(cutter.host, port=cutter.port, ssl=False, timeout=10)
    client.login(imap_server.username, imap_server.password)
    client.select_folder("INBOX")
    cutter.cut_after(1000)
    with pytest.raises((IMAPClient.AbortError, OSError)):
        client.fetch([uid], ["BODY.PEEK[]"])
    assert cutter.cuts == 1
    with imap_server.connect() as direct:  # the server itself is unharmed
        direct.select_folder("INBOX")
        assert b"\\Seen" not in direct.get_flags([uid])[uid]


def test_cutter_counts_bytes_from_the_start_of_a_new_connection(
    pymap_server: PymapServer, tcp_cutter: Callable[[ImapServer], TcpCutter]
) -> None:
    cutter = tcp_cutter(pymap_server)
    cutter.cut_after(10)
    with socket.create_connection((cutter.host, cutter.port), timeout=10) as sock:
        received = read_until_closed(sock)
    assert len(received) == 10
    assert received.startswith(b"* OK")


def test_cutter_counts_bytes_from_the_end_of_a_marker(
    pymap_server: PymapServer, tcp_cutter: Callable[[ImapServer], TcpCutter]
) -> None:
    raw = letter(padding=50_000)
    uid = pymap_server.deliver(raw)
    cutter = tcp_cutter(pymap_server)
    marker = b"BODY[] {"
    cutter.cut_after(25, after=marker)
    user, password = pymap_server.username, pymap_server.password
    with socket.create_connection((cutter.host, cutter.port), timeout=10) as sock:
        login = f"a LOGIN {user} {password}\r\n"
        sock.sendall(f"{login}b SELECT INBOX\r\nc UID FETCH {uid} BODY.PEEK[]\r\n".encode())
        received = read_until_closed(sock)
    assert len(received) == received.index(marker) + len(marker) + 25
    size, _, literal_start = received[-25:].partition(b"}\r\n")
    assert int(size) == len(raw)
    assert literal_start and raw.startswith(literal_start)

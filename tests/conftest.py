"""Shared fixtures. The servers themselves live in ``tests/servers.py``.

Mail servers are started once per session and handed to each test cleaned (no messages, no
extra folders, no SMTP rules); a test that needs a truly new pymap mailbox calls ``restart()``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator

import pytest

from tests import servers
from tests.servers import DovecotServer, ImapServer, PymapServer, SmtpServer, TcpCutter

# --- process hygiene --------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _no_server_left_behind() -> Iterator[None]:
    """Set up first, torn down last: fails the run if any server process outlived its fixture."""
    yield
    leftovers = servers.leftover_processes()
    servers.stop_all_servers()
    if leftovers:
        pytest.fail("test servers still running after the session:\n" + "\n".join(leftovers))


# --- SMTP -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def smtp_session() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(smtp_session: SmtpServer) -> Iterator[SmtpServer]:
    """The session's aiosmtpd, with no recorded messages, rejections or pending faults."""
    smtp_session.reset()
    yield smtp_session
    smtp_session.reset()


# --- IMAP -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pymap_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PymapServer]:
    server = PymapServer(tmp_path_factory.mktemp("pymap")).start()
    yield server
    server.stop()


@pytest.fixture
def pymap_server(pymap_session: PymapServer) -> PymapServer:
    """pymap with an empty INBOX and no other folders (UIDs go on counting; ``restart()``
    starts again from 101 with a new UIDVALIDITY)."""
    if not pymap_session.running:  # an earlier test stopped it
        pymap_session.start(port=pymap_session.port)
    pymap_session.empty()
    return pymap_session


@pytest.fixture(scope="session")
def dovecot_binary() -> str:
    """The dovecot executable; skipped when not installed, except under CI, where that fails."""
    binary = servers.dovecot_binary()
    if binary is None:
        if servers.in_ci():
            pytest.fail(f"{servers.DOVECOT_MISSING}; CI must install it", pytrace=False)
        pytest.skip(servers.DOVECOT_MISSING)
    return binary


@pytest.fixture(scope="session")
def dovecot_session(request: pytest.FixtureRequest) -> Iterator[DovecotServer]:
    """The CI's Dovecot if ``FOIBOT_TEST_DOVECOT`` names one, else a private one."""
    spec = os.environ.get(servers.DOVECOT_ENV)
    if spec:
        shared = DovecotServer.from_env(spec)
        yield shared
        shared.close()
        return
    binary = request.getfixturevalue("dovecot_binary")
    root = servers.private_dovecot_dir()
    try:
        server = DovecotServer.start_private(root, binary=binary)
        yield server
        server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot_server(dovecot_session: DovecotServer) -> DovecotServer:
    """Dovecot with an empty INBOX and no other folders."""
    dovecot_session.empty()
    return dovecot_session


@pytest.fixture(params=["pymap", pytest.param("dovecot", marks=pytest.mark.dovecot)])
def imap_server(request: pytest.FixtureRequest) -> ImapServer:
    """For behaviour that must hold on both servers: the test runs once against each."""
    server: ImapServer = request.getfixturevalue(f"{request.param}_server")
    return server


# --- faults -----------------------------------------------------------------------------------


@pytest.fixture
def tcp_cutter() -> Iterator[Callable[[ImapServer | SmtpServer], TcpCutter]]:
    """``tcp_cutter(server)`` puts a ``TcpCutter`` in front of a server; closed after the test."""
    cutters: list[TcpCutter] = []

    def cut_in_front_of(server: ImapServer | SmtpServer) -> TcpCutter:
        cutter = TcpCutter(server.host, server.port)
        cutters.append(cutter)
        return cutter

    yield cut_in_front_of
    for cutter in cutters:
        cutter.close()

"""Real mail servers for foibot's tests, started and stopped from Python.

foibot's promises (a letter is delivered, a reply is fetched exactly once, a broken connection
loses nothing) only mean something against real servers, so the tests talk to:

- ``SmtpServer``: aiosmtpd in a thread, recording every delivered message, with switches to
  reject a recipient (550), fail the next transactions (4xx) or drop the connection;
- ``PymapServer``: pymap's in-memory backend in a subprocess; ``restart()`` empties it and gives
  a new UIDVALIDITY;
- ``DovecotServer``: a private Dovecot (Debian package ``dovecot-imapd``) with a maildir in a
  temporary directory, or an already running one named by ``FOIBOT_TEST_DOVECOT``;
- ``TcpCutter``: a proxy in front of any of them that closes the connection after N bytes from
  the server, for "the server hung up mid-fetch" tests.

The module is also the CI entry point for Dovecot, so CI and the fixtures start it the same way::

    python -m tests.servers dovecot /tmp/foibot-dovecot   # prints: export FOIBOT_TEST_DOVECOT=...
    python -m tests.servers dovecot-stop /tmp/foibot-dovecot
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import functools
import grp
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Literal
from urllib.parse import parse_qs, urlsplit
from weakref import WeakKeyDictionary

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from imapclient import IMAPClient

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
DOVECOT_ENV = "FOIBOT_TEST_DOVECOT"
DOVECOT_MISSING = "dovecot not installed (Debian package dovecot-imapd)"
OAUTH2_NEEDS_23 = "the oauth2 passdb config is written for Dovecot 2.3; 2.4 changed it"
MAIL_USER = "foibotmail"


class ServerStartError(RuntimeError):
    """A test server did not come up; the message carries the tail of its log."""


class _PortTaken(ServerStartError):
    """Someone else bound the port between choosing it and the server binding it."""


# --- ports and processes ----------------------------------------------------------------------


def free_port(host: str = HOST) -> int:
    """A port that was free a moment ago; callers must retry if they lose the race for it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def in_ci(env: Mapping[str, str] = os.environ) -> bool:
    """CI sets ``CI=true``; there a missing server is a broken setup, never a skip."""
    return env.get("CI", "").strip().lower() not in ("", "0", "false", "no")


# Session ids of the servers this process started and has to take down again. Each server runs
# in its own session, so its children are found by session, whatever they call themselves.
_SESSIONS: set[int] = set()
_RUNNING: dict[int, subprocess.Popen[bytes]] = {}


def session_processes(session: int) -> list[str]:
    """``pid command`` of the live processes in ``session``; zombies are dead and don't count
    (an orphaned child stays one until init reaps it)."""
    found = subprocess.run(
        ["pgrep", "-a", "-s", str(session)], capture_output=True, text=True, check=False
    )
    return [line for line in found.stdout.splitlines() if not _is_zombie(int(line.split()[0]))]


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # gone already
    return stat.rpartition(")")[2].split()[0] in ("Z", "X")


def leftover_processes() -> list[str]:
    """Live processes in any session a server of this test run was started in."""
    return [line for session in sorted(_SESSIONS) for line in session_processes(session)]


def kill_session(session: int, *, timeout: float = 5.0) -> None:
    """SIGKILL every process in ``session`` and wait until none is left."""
    deadline = time.monotonic() + timeout
    while (remaining := session_processes(session)) and time.monotonic() < deadline:
        for line in remaining:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(int(line.split()[0]), signal.SIGKILL)
        time.sleep(0.02)


def _spawn(argv: list[str], log: Path, *, attached: bool = True) -> subprocess.Popen[bytes]:
    """Start a server in a new session, output to ``log``; attached ones die with this process."""
    with open(log, "ab") as out:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    if attached:
        _SESSIONS.add(process.pid)
        _RUNNING[process.pid] = process
    return process


def _terminate(process: subprocess.Popen[bytes], *, grace: float) -> None:
    """SIGTERM and ``grace`` seconds to exit, then SIGKILL for whatever is left of its session."""
    if grace > 0 and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            process.wait(grace)
    kill_session(process.pid)
    process.wait()
    _RUNNING.pop(process.pid, None)


@atexit.register
def stop_all_servers() -> None:
    """Last resort at exit: stop every attached server a fixture failed to stop."""
    for process in list(_RUNNING.values()):
        _terminate(process, grace=0)
    for session in _SESSIONS:  # children whose master is already gone
        kill_session(session)


def _log_tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def _wait_until_ready(
    process: subprocess.Popen[bytes], ready: Callable[[], bool], *, log: Path, name: str
) -> None:
    """Poll ``ready`` until it holds while ``process`` is still ours and alive."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = _log_tail(log)
            error = _PortTaken if "in use" in tail else ServerStartError
            raise error(f"{name} exited with status {process.returncode}:\n{tail}")
        try:
            if ready() and process.poll() is None:
                return
        except (OSError, IMAPClient.Error):
            pass
        time.sleep(0.05)
    raise ServerStartError(f"{name} not ready after {START_TIMEOUT:.0f} s:\n{_log_tail(log)}")


def _start_on_free_port(
    launch: Callable[[int], subprocess.Popen[bytes]],
    ready: Callable[[int], bool],
    *,
    log: Path,
    name: str,
    port: int | None = None,
    attempts: int = 4,
) -> tuple[subprocess.Popen[bytes], int]:
    """Launch on ``port`` (or a free one), trying new ports while the chosen one is taken."""
    for _ in range(attempts):
        chosen = port or free_port()
        process = launch(chosen)
        try:
            _wait_until_ready(process, functools.partial(ready, chosen), log=log, name=name)
        except _PortTaken:
            _terminate(process, grace=0)
            port = None
            continue
        except BaseException:
            _terminate(process, grace=0)
            raise
        return process, chosen
    raise ServerStartError(f"{name}: no free port after {attempts} attempts:\n{_log_tail(log)}")


# --- IMAP servers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    uidnext: int
    messages: int


_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]")


class ImapServer:
    """Connection details plus the mailbox chores tests need, all done over IMAP itself."""

    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self._helper_lock = threading.Lock()
        self._helper_client: IMAPClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.host}:{self.port}, user={self.username!r})"

    def connect(self, *, login: bool = True) -> IMAPClient:
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        if login:
            client.login(self.username, self.password)
        return client

    @contextmanager
    def _helper(self) -> Iterator[IMAPClient]:
        """One logged-in connection kept for the helpers: pymap spends ~0.1 s on each login."""
        with self._helper_lock:
            if self._helper_client is not None:
                try:
                    self._helper_client.noop()
                except (OSError, IMAPClient.Error):
                    self.close()
            if self._helper_client is None:
                self._helper_client = self.connect()
            yield self._helper_client

    def close(self) -> None:
        """Log the helpers' connection out (it reconnects when next needed)."""
        if self._helper_client is not None:
            _logout(self._helper_client)
            self._helper_client = None

    def deliver(self, raw: bytes, folder: str = "INBOX", *, flags: Iterable[str] = ()) -> int:
        """APPEND ``raw`` as a newly arrived message; returns its UID (both servers do UIDPLUS)."""
        with self._helper() as client:
            reply = client.append(folder, raw, flags=tuple(flags))
        found = _APPENDUID.search(reply)
        if found is None:
            raise AssertionError(f"APPEND to {folder} gave no APPENDUID: {reply!r}")
        return int(found.group(2))

    def create_folder(self, name: str) -> None:
        with self._helper() as client:
            client.create_folder(name)

    def recreate_folder(self, name: str) -> None:
        """DELETE and CREATE: the folder comes back empty with a new UIDVALIDITY."""
        with self._helper() as client:
            client.delete_folder(name)
            client.create_folder(name)

    def status(self, folder: str = "INBOX") -> FolderStatus:
        with self._helper() as client:
            found = client.folder_status(folder, [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"])
        return FolderStatus(
            uidvalidity=int(found[b"UIDVALIDITY"]),
            uidnext=int(found[b"UIDNEXT"]),
            messages=int(found[b"MESSAGES"]),
        )

    def empty(self) -> None:
        """Delete every folder but INBOX and every message in INBOX (UIDs keep counting up)."""
        with self._helper() as client:
            names = [name for _, _, name in client.list_folders() if name.upper() != "INBOX"]
            for name in sorted(names, key=len, reverse=True):
                try:
                    client.delete_folder(name)
                except client.Error:  # a \\Noselect parent that went with its child
                    pass
            client.select_folder("INBOX")
            everything = client.search("ALL")
            if everything:
                client.delete_messages(everything)
            client.close_folder()  # expunges, and leaves the helper connection unselected


def _imap_login_works(host: str, port: int, username: str, password: str) -> bool:
    """Readiness means a mail process can open INBOX, not merely that the port answers."""
    client = IMAPClient(host, port=port, ssl=False, timeout=2)
    try:
        client.login(username, password)
        client.select_folder("INBOX", readonly=True)
    finally:
        _logout(client)
    return True


def _logout(client: IMAPClient) -> None:
    with suppress(OSError, IMAPClient.Error):
        client.logout()  # closes the socket even when the server has gone


def pymap_executable() -> str:
    """The pymap installed beside this interpreter (the virtualenv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "pymap"
    if beside.exists():
        return str(beside)
    found = shutil.which("pymap")
    if found is None:
        raise ServerStartError("pymap not found beside the interpreter nor on PATH")
    return found


class PymapServer(ImapServer):
    """pymap's dict backend: in memory, so every start is an empty mailbox with new UIDVALIDITYs.

    It offers IDLE, MOVE and UIDPLUS after login; the first UID in a new mailbox is 101.
    """

    def __init__(
        self, workdir: Path, *, username: str = "foibot", password: str = "secret"
    ) -> None:
        super().__init__(HOST, 0, username, password)
        self.log = workdir / "pymap.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, *, port: int | None = None) -> PymapServer:
        def launch(chosen: int) -> subprocess.Popen[bytes]:
            argv = [
                pymap_executable(),
                "--host",
                HOST,
                "--port",
                str(chosen),
                "--no-tls",
                "--no-service",
                "admin",
                "dict",
                "--demo-user",
                self.username,
                "--demo-password",
                self.password,
            ]
            return _spawn(argv, self.log)

        def ready(chosen: int) -> bool:
            return _imap_login_works(HOST, chosen, self.username, self.password)

        self._process, self.port = _start_on_free_port(
            launch, ready, log=self.log, name="pymap", port=port
        )
        return self

    def stop(self) -> None:
        self.close()
        if self._process is not None:
            _terminate(self._process, grace=2.0)
            self._process = None

    def restart(self) -> None:
        """A new process on the same port where possible: empty mailbox, new UIDVALIDITY."""
        self.stop()
        self.start(port=self.port)


@dataclass(frozen=True)
class MailAccounts:
    """The system users Dovecot runs as; rootless means everything runs as the current user."""

    login_user: str
    internal_user: str
    mail_uid: int
    mail_gid: int
    rootless: bool


def dovecot_binary() -> str | None:
    """``dovecot`` on PATH, else in sbin, which a non-root user's PATH often leaves out."""
    for candidate in (shutil.which("dovecot"), "/usr/sbin/dovecot", "/usr/local/sbin/dovecot"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def dovecot_version(binary: str) -> tuple[int, int]:
    """``(2, 3)`` from ``2.3.19.1 (9b53102964)``; 2.4 changed the configuration syntax."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    found = re.match(r"(\d+)\.(\d+)", out.strip())
    if found is None:
        raise ServerStartError(f"cannot read the Dovecot version from {out!r}")
    return int(found.group(1)), int(found.group(2))


def mail_accounts() -> MailAccounts:
    """Dovecot refuses to touch mail as root: as root use ``foibotmail`` (created if missing,
    ``nobody`` if that fails); as anyone else run the whole server as that user."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return MailAccounts(me.pw_name, me.pw_name, me.pw_uid, me.pw_gid, rootless=True)
    try:
        mail = pwd.getpwnam(MAIL_USER)
    except KeyError:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--home-dir",
                "/nonexistent",
                "--shell",
                "/usr/sbin/nologin",
                MAIL_USER,
            ],
            capture_output=True,
            check=False,
        )
        try:
            mail = pwd.getpwnam(MAIL_USER)
        except KeyError:
            mail = pwd.getpwnam("nobody")
    return MailAccounts("dovenull", "dovecot", mail.pw_uid, mail.pw_gid, rootless=False)


def dovecot_config(
    *,
    version: tuple[int, int],
    root: Path,
    port: int,
    accounts: MailAccounts,
    oauth2: Path | None = None,
) -> str:
    """A complete dovecot.conf for a private IMAP-only instance living in ``root``.

    Dovecot 2.4 renamed settings and wants its version stated first; both syntaxes are written
    here so the same test suite runs on Debian 12 (2.3) and on newer systems (2.4).

    ``oauth2`` names a file of ``oauth2`` passdb settings (see :func:`oauth2_passdb_settings`):
    XOAUTH2 and OAUTHBEARER logins then check their token with it, while LOGIN and PLAIN keep
    using the password file (which the fixtures' own connections need). Only the 2.3 syntax
    is written for it; 2.4 moved token checking out of the passdb.
    """
    new_syntax = version >= (2, 4)
    if oauth2 is not None and new_syntax:
        raise ServerStartError(OAUTH2_NEEDS_23)
    users = root / "users"
    # chroot needs root; a rootless server runs its login and anvil processes unconfined.
    chroot = "  chroot =\n" if accounts.rootless else ""
    address = "" if new_syntax else "    address = 127.0.0.1\n"
    settings = [
        "instance_name = foibot-test",
        f"base_dir = {root}/run",
        f"state_dir = {root}/state",
        f"log_path = {root}/dovecot.log",
        "listen = 127.0.0.1",
        "protocols = imap",
        "ssl = no",
        "auth_mechanisms = plain login" + (" xoauth2 oauthbearer" if oauth2 else ""),
        "auth_failure_delay = 0",
        "mail_max_userip_connections = 100",
        f"default_login_user = {accounts.login_user}",
        f"default_internal_user = {accounts.internal_user}",
        f"first_valid_uid = {accounts.mail_uid}",
        f"first_valid_gid = {accounts.mail_gid}",
    ]
    if accounts.rootless:
        settings.append(f"default_internal_group = {_group_name(accounts.mail_gid)}")
    if new_syntax:
        settings = [
            "dovecot_config_version = 2.4.0",
            "dovecot_storage_version = 2.4.0",
            *settings,
            "auth_allow_cleartext = yes",
            "mail_driver = maildir",
            "mail_path = ~/Maildir",
            f"passdb passwd-file {{\n  passwd_file_path = {users}\n}}",
            f"userdb passwd-file {{\n  passwd_file_path = {users}\n}}",
        ]
    else:
        settings += ["disable_plaintext_auth = no", "mail_location = maildir:~/Maildir"]
        if oauth2 is not None:
            # A refused token must not fall through to the password file as a password.
            by_token = f"driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n  args = {oauth2}"
            by_password = f"driver = passwd-file\n  mechanisms = plain login\n  args = {users}"
            settings += [f"passdb {{\n  {body}\n}}" for body in (by_token, by_password)]
        else:
            settings.append(f"passdb {{\n  driver = passwd-file\n  args = {users}\n}}")
        settings.append(f"userdb {{\n  driver = passwd-file\n  args = {users}\n}}")
    settings += [
        "namespace inbox {\n  inbox = yes\n}",
        "service imap-login {\n"
        f"  inet_listener imap {{\n{address}    port = {port}\n  }}\n"
        "  inet_listener imaps {\n    port = 0\n  }\n"
        f"{chroot}}}",
    ]
    if accounts.rootless:
        settings.append(f"service anvil {{\n{chroot}}}")
    return "\n".join(settings) + "\n"


def oauth2_passdb_settings(introspection_url: str) -> str:
    """The ``oauth2`` passdb's settings file (Dovecot 2.3): the token is appended to
    ``introspection_url`` (GET), and the answer must say ``"active": true`` and name the user
    logging in as ``username``."""
    return (
        "introspection_mode = get\n"
        f"introspection_url = {introspection_url}\n"
        "username_attribute = username\n"
        "active_attribute = active\n"
        "active_value = true\n"
        "timeout_msecs = 5000\n"
    )


def _group_name(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


class DovecotServer(ImapServer):
    """Dovecot, either private (``start_private``) or already running (``from_env``)."""

    def __init__(self, host: str, port: int, username: str, password: str) -> None:
        super().__init__(host, port, username, password)
        self.root: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @classmethod
    def from_env(cls, spec: str) -> DovecotServer:
        """``host:port:user:password``, as printed by ``python -m tests.servers dovecot DIR``."""
        host, port, username, password = spec.split(":", 3)
        return cls(host, int(port), username, password)

    @property
    def env_spec(self) -> str:
        return f"{self.host}:{self.port}:{self.username}:{self.password}"

    @classmethod
    def start_private(
        cls,
        root: Path,
        *,
        binary: str | None = None,
        username: str = "foibot",
        password: str = "secret",
        attached: bool = True,
        introspection_url: str | None = None,
    ) -> DovecotServer:
        """Configure and run ``dovecot -F -c root/dovecot.conf`` on a free port.

        ``attached=False`` leaves it running after this process exits (for CI, which stops it
        with ``stop_private``). ``introspection_url`` turns on XOAUTH2/OAUTHBEARER logins whose
        token that endpoint checks (see :class:`TokenIntrospection`); Dovecot 2.3 only.
        """
        binary = binary or dovecot_binary()
        if binary is None:
            raise ServerStartError(DOVECOT_MISSING)
        version = dovecot_version(binary)
        accounts = mail_accounts()
        root = root.resolve()
        home = root / "home" / username
        for directory in (root / "run", root / "state", home):
            directory.mkdir(parents=True, exist_ok=True)
        # The login, auth and mail processes run as other users and must reach into root.
        root.chmod(0o755)
        (root / "home").chmod(0o755)
        os.chown(home, accounts.mail_uid, accounts.mail_gid)
        home.chmod(0o700)
        users = root / "users"
        users.write_text(
            f"{username}:{{PLAIN}}{password}:{accounts.mail_uid}:{accounts.mail_gid}::{home}::\n"
        )
        users.chmod(0o644)
        oauth2: Path | None = None
        if introspection_url is not None:
            oauth2 = root / "dovecot-oauth2.conf.ext"
            oauth2.write_text(oauth2_passdb_settings(introspection_url))
            oauth2.chmod(0o644)
        config = root / "dovecot.conf"
        server = cls(HOST, 0, username, password)
        server.root = root
        log = root / "dovecot.log"

        def launch(port: int) -> subprocess.Popen[bytes]:
            config.write_text(
                dovecot_config(
                    version=version, root=root, port=port, accounts=accounts, oauth2=oauth2
                )
            )
            return _spawn([binary, "-F", "-c", str(config)], log, attached=attached)

        def ready(port: int) -> bool:
            return _imap_login_works(HOST, port, username, password)

        server._process, server.port = _start_on_free_port(launch, ready, log=log, name="dovecot")
        return server

    def stop(self) -> None:
        """Kill outright: the instance is thrown away, and a graceful stop takes a second."""
        self.close()
        if self._process is not None:
            _terminate(self._process, grace=0)
            self._process = None

    @staticmethod
    def stop_private(root: Path) -> None:
        """Stop a detached instance; its master wrote its pid, which is also its session id."""
        kill_session(int((root / "run" / "master.pid").read_text().split()[0]))


def private_dovecot_dir() -> Path:
    """A short path outside pytest's 0700 tmp tree, which Dovecot's other users cannot enter."""
    return Path(tempfile.mkdtemp(prefix="foibot-dovecot-"))


# --- OAuth2 token introspection ---------------------------------------------------------------


class LoopbackHTTP:
    """A stdlib ``ThreadingHTTPServer`` on 127.0.0.1, served from a daemon thread."""

    def __init__(self) -> None:
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    def serve(self, handler: type[BaseHTTPRequestHandler], *, port: int = 0) -> None:
        """Listen on ``port`` (0: a free one, then kept so a restart reuses it)."""
        self._server = ThreadingHTTPServer((HOST, port), handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def stop(self) -> None:
        """Close the socket: requests now fail with "connection refused"."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


class TokenIntrospection(LoopbackHTTP):
    """An OAuth 2.0 token introspection endpoint (RFC 7662) on 127.0.0.1, for Dovecot's
    ``oauth2`` passdb to check the bearer tokens of XOAUTH2 logins against::

        GET /introspect?token=good-token  ->  {"active": true, "username": "foibot"}
        GET /introspect?token=anything    ->  {"active": false}

    ``tokens`` maps each token it accepts to the user it belongs to. ``asked`` lists the
    tokens presented, in order, so a test can tell that a login really was checked here.
    """

    PATH = "/introspect"

    def __init__(self, tokens: Mapping[str, str]) -> None:
        super().__init__()
        self.tokens = dict(tokens)
        self.host = HOST
        self._lock = threading.Lock()
        self._asked: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """The URL the token is appended to (``introspection_mode = get``)."""
        return f"http://{self.host}:{self.port}{self.PATH}?token="

    @property
    def asked(self) -> list[str]:
        with self._lock:
            return list(self._asked)

    def start(self) -> TokenIntrospection:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                if url.path != owner.PATH:
                    self.send_error(404)
                    return
                token = parse_qs(url.query).get("token", [""])[0]
                with owner._lock:
                    owner._asked.append(token)
                user = owner.tokens.get(token)
                answer = {"active": True, "username": user} if user else {"active": False}
                body = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: object) -> None:
                pass  # the request line carries the token

        self.serve(Handler)
        return self


# --- SMTP -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    data: bytes


Stage = Literal["mail", "rcpt", "data"]


@dataclass(frozen=True)
class _Fault:
    stage: Stage
    reply: str | None  # None drops the connection without a reply


class _Recorder:
    """aiosmtpd handler; runs in the controller's thread, hence the lock."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[ReceivedMessage] = []
        self.rejected: dict[str, str] = {}
        self.faults: deque[_Fault] = deque()
        # The fault drawn for the transaction a session is in (one at a time per connection).
        self.pending: WeakKeyDictionary[Session, _Fault] = WeakKeyDictionary()
        self.delivered: list[Callable[[bytes], None]] = []   # e.g. a copy into a Sent folder
        self.data_delay = 0.0                                # seconds before the DATA reply

    def _apply(self, server: SMTP, session: Session, stage: Stage) -> str | None:
        """The reply for a fault due at ``stage`` of this transaction, or None to go on."""
        fault = self.pending.get(session)
        if fault is None or fault.stage != stage:
            return None
        if fault.reply is None:
            assert isinstance(server.transport, asyncio.Transport)
            server.transport.abort()  # later writes are discarded, so no reply gets out
            return "421 4.4.2 connection dropped"
        return fault.reply

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        with self.lock:  # a fault belongs to the transaction that MAIL FROM opens
            fault = self.faults.popleft() if self.faults else None
        if fault is None:
            self.pending.pop(session, None)
        else:
            self.pending[session] = fault
        failure = self._apply(server, session, "mail")
        if failure:
            return failure
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        failure = self._apply(server, session, "rcpt")
        if failure:
            return failure
        with self.lock:
            refusal = self.rejected.get(address.lower())
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failure = self._apply(server, session, "data")
        if failure:
            return failure
        assert envelope.mail_from is not None and envelope.original_content is not None
        message = ReceivedMessage(
            envelope.mail_from, tuple(envelope.rcpt_tos), bytes(envelope.original_content)
        )
        with self.lock:
            self.messages.append(message)
            hooks = list(self.delivered)
            delay = self.data_delay
        for hook in hooks:
            hook(message.data)
        if delay:
            await asyncio.sleep(delay)
        return "250 2.0.0 OK: queued"


class SmtpServer:
    """aiosmtpd on 127.0.0.1 that records what it is given and fails on request::

    smtp.reject("foi@x.police.uk")   # RCPT TO:<foi@x.police.uk> gets 550 5.1.1
    smtp.fail_next(2)                # the next two transactions get 451 after DATA
    smtp.drop_next(stage="data")     # hang up after the message, before replying
    """

    def __init__(self) -> None:
        self.host = HOST
        self.port = 0
        self._recorder = _Recorder()
        self._controller: Controller | None = None

    def start(self, *, attempts: int = 4) -> SmtpServer:
        for _ in range(attempts):
            port = free_port()
            controller = Controller(
                self._recorder, hostname=HOST, port=port, auth_require_tls=False
            )
            try:
                controller.start()
            except OSError:  # lost the race for the port
                continue
            self._controller, self.port = controller, port
            return self
        raise ServerStartError(f"aiosmtpd: no free port after {attempts} attempts")

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self._recorder.lock:
            return list(self._recorder.messages)

    def reject(self, address: str, reply: str | None = None) -> None:
        """Refuse ``address`` at RCPT TO, as a server does for an unknown mailbox."""
        with self._recorder.lock:
            self._recorder.rejected[address.lower()] = (
                reply or f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
            )

    def fail_next(
        self,
        count: int = 1,
        *,
        stage: Stage = "data",
        reply: str = "451 4.3.0 Temporary failure, please try again later",
    ) -> None:
        """The next ``count`` transactions get ``reply`` at ``stage`` (MAIL, RCPT or DATA)."""
        with self._recorder.lock:
            self._recorder.faults.extend(_Fault(stage, reply) for _ in range(count))

    def drop_next(self, count: int = 1, *, stage: Stage = "data") -> None:
        """The next ``count`` transactions lose the connection at ``stage``; nothing is kept."""
        with self._recorder.lock:
            self._recorder.faults.extend(_Fault(stage, None) for _ in range(count))

    def copy_to(self, imap: ImapServer, folder: str = "Sent") -> None:
        """Put a copy of every accepted message into ``folder`` of ``imap``, as providers that
        keep sent mail do (Gmail, Microsoft 365): what settles an uncertain letter."""
        with suppress(Exception):        # it may exist already
            imap.create_folder(folder)
        with self._recorder.lock:
            self._recorder.delivered.append(lambda data: imap.deliver(data, folder))

    def slow_data(self, seconds: float) -> None:
        """Wait ``seconds`` after accepting a message before saying so (a slow server: the
        window in which a client may die with its letter accepted but not acknowledged)."""
        with self._recorder.lock:
            self._recorder.data_delay = seconds

    def clear(self) -> None:
        """Forget the recorded messages."""
        with self._recorder.lock:
            self._recorder.messages.clear()

    def reset(self) -> None:
        """Forget messages, rejections and pending faults: the state a test starts from."""
        with self._recorder.lock:
            self._recorder.messages.clear()
            self._recorder.rejected.clear()
            self._recorder.delivered.clear()
            self._recorder.data_delay = 0.0
            self._recorder.faults.clear()


# --- TCP cutter -------------------------------------------------------------------------------


class _Link:
    """One proxied connection and how much more of the server's output it may carry."""

    def __init__(self, client: socket.socket, upstream: socket.socket) -> None:
        self.client = client
        self.upstream = upstream
        self.budget: int | None = None
        self.marker = b""
        self.tail = b""

    def arm(self, budget: int | None, marker: bytes) -> None:
        self.budget, self.marker, self.tail = budget, marker, b""

    def take(self, data: bytes) -> tuple[bytes, bool]:
        """The part of ``data`` to forward, and whether to cut the connection after it."""
        if self.budget is None:
            return data, False
        passed = 0
        if self.marker:
            seen = self.tail + data
            found = seen.find(self.marker)
            if found < 0:
                self.tail = seen[-(len(self.marker) - 1) :] if len(self.marker) > 1 else b""
                return data, False
            passed = found + len(self.marker) - len(self.tail)
            self.marker = b""
        rest = data[passed:]
        if len(rest) >= self.budget:
            return data[: passed + self.budget], True
        self.budget -= len(rest)
        return data, False


class TcpCutter:
    """A TCP proxy on 127.0.0.1 that can hang up after N bytes from the server.

    ``cut_after(n)`` applies to open connections (counting from now) and to new ones (counting
    from their start); with ``after=b"BODY[] {"`` it counts from the end of that marker instead,
    which lands the cut inside a FETCH literal however long the preceding dialogue was.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server((HOST, 0))
        self.host, self.port = HOST, int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._links: list[_Link] = []
        self._budget: int | None = None
        self._marker = b""
        self.cuts = 0
        threading.Thread(target=self._accept, name="tcp-cutter", daemon=True).start()

    def cut_after(self, nbytes: int, *, after: bytes = b"") -> None:
        with self._lock:
            self._budget, self._marker = nbytes, after
            for link in self._links:
                link.arm(nbytes, after)

    def disarm(self) -> None:
        with self._lock:
            self._budget, self._marker = None, b""
            for link in self._links:
                link.arm(None, b"")

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            _close_both(link)

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            link = _Link(client, upstream)
            with self._lock:
                link.arm(self._budget, self._marker)
                self._links.append(link)
            threading.Thread(target=self._to_client, args=(link,), daemon=True).start()
            threading.Thread(target=self._to_server, args=(link,), daemon=True).start()

    def _to_client(self, link: _Link) -> None:
        try:
            while data := link.upstream.recv(65536):
                with self._lock:
                    forward, cut = link.take(data)
                link.client.sendall(forward)
                if cut:
                    with self._lock:
                        self.cuts += 1
                    break
        except OSError:
            pass
        self._drop(link)

    def _to_server(self, link: _Link) -> None:
        try:
            while data := link.client.recv(65536):
                link.upstream.sendall(data)
        except OSError:
            pass
        self._drop(link)

    def _drop(self, link: _Link) -> None:
        with self._lock:
            if link in self._links:
                self._links.remove(link)
        _close_both(link)


def _close_both(link: _Link) -> None:
    for sock in (link.client, link.upstream):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()


# --- command line (CI) ------------------------------------------------------------------------


def main(argv: list[str] | None = None, out: IO[str] = sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.servers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("dovecot", help="start Dovecot in DIR, print the export line")
    start.add_argument("dir", type=Path)
    stop = commands.add_parser("dovecot-stop", help="stop the Dovecot started in DIR")
    stop.add_argument("dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "dovecot":
        args.dir.mkdir(parents=True, exist_ok=True)
        server = DovecotServer.start_private(args.dir, attached=False)
        print(f"export {DOVECOT_ENV}={shlex.quote(server.env_spec)}", file=out)
    else:
        DovecotServer.stop_private(args.dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Real mail servers on loopback for the demo: aiosmtpd for SMTP and pymap for IMAP.

Nothing here touches a real mail account. Both servers listen on 127.0.0.1 on free ports and
are stopped (the pymap process killed) when the sandbox closes, whatever happened.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from imapclient import IMAPClient

from foibot.errors import MailError

HOST = "127.0.0.1"
IMAP_USER = "jane"
IMAP_PASSWORD = "demo-password"
_PYMAP = "import sys; from pymap.main import main; sys.argv[0] = 'pymap'; sys.exit(main())"


def _die_with_parent() -> None:
    """In the pymap child: ask Linux to end it if foibot itself is killed (even by SIGKILL,
    which runs no clean-up), so no server outlives the demo."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, 15)   # PR_SET_PDEATHSIG, SIGTERM
    except (OSError, AttributeError):
        pass


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


class _Sink:
    """Accepts every letter, like a force's mail server; keeps a copy."""

    def __init__(self) -> None:
        self.received: list[tuple[str, tuple[str, ...], bytes]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, tuple(envelope.rcpt_tos),
                              bytes(envelope.original_content)))
        return "250 2.0.0 OK: queued"


@dataclass
class Sandbox:
    root: Path
    smtp_port: int = 0
    imap_port: int = 0
    sink: _Sink = field(default_factory=_Sink)
    _controller: Controller | None = None
    _pymap: subprocess.Popen[bytes] | None = None
    _postman: IMAPClient | None = None

    def __enter__(self) -> "Sandbox":
        try:
            self._start_smtp()
            self._start_imap()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start_smtp(self) -> None:
        for _ in range(5):
            port = free_port()
            controller = Controller(self.sink, hostname=HOST, port=port, auth_require_tls=False)
            try:
                controller.start()
            except OSError:
                continue
            self._controller, self.smtp_port = controller, port
            return
        raise MailError("demo: could not start the SMTP server on loopback")

    def _start_imap(self) -> None:
        log = open(self.root / "pymap.log", "wb")
        for _ in range(5):
            port = free_port()
            proc = subprocess.Popen(
                [sys.executable, "-c", _PYMAP, "--host", HOST, "--port", str(port), "--no-tls",
                 "--no-service", "admin", "dict", "--demo-user", IMAP_USER,
                 "--demo-password", IMAP_PASSWORD],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
            )
            self._pymap = proc      # known at once: an interruption from here on stops it
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and proc.poll() is None:
                try:
                    with socket.create_connection((HOST, port), timeout=0.5):
                        self.imap_port = port
                        return
                except OSError:
                    time.sleep(0.05)
            self._pymap = None
            proc.kill()
            proc.wait()
        raise MailError("demo: could not start the IMAP server (pymap) on loopback")

    def deliver(self, raw: bytes) -> None:
        """Put a message into the demo mailbox, as the force's reply arriving."""
        if self._postman is None:
            self._postman = IMAPClient(HOST, port=self.imap_port, ssl=False, timeout=10)
            self._postman.login(IMAP_USER, IMAP_PASSWORD)
        self._postman.append("INBOX", raw)

    def close(self) -> None:
        if self._postman is not None:
            try:
                self._postman.logout()
            except Exception:  # noqa: BLE001 - the server may be gone already
                pass
            self._postman = None
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
        if self._pymap is not None:
            self._pymap.terminate()
            try:
                self._pymap.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._pymap.kill()
                self._pymap.wait()
            self._pymap = None

    def config_text(self, state_dir: Path) -> str:
        return f"""# written by `foibot demo`: loopback servers only
[sender]
name = "Jane Reporter"
address = "jane@newsroom.example"
postal_address = "Newsroom, 1 Example Street, London"
reply_to = "jane+{{ref}}@newsroom.example"

[smtp]
host = "{HOST}"
port = {self.smtp_port}
security = "none"
retries = 1
retry_backoff_seconds = 0.1

[imap]
host = "{HOST}"
port = {self.imap_port}
security = "none"
username = "{IMAP_USER}"
password_env = "FOIBOT_DEMO_IMAP_PASSWORD"
batch_size = 100

[state]
dir = "{state_dir}"

[chase]
auto_send_drafts = false
"""

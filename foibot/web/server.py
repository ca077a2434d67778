"""Serving the web view: uvicorn in a thread of its own, for ``foibot serve`` and beside the
scheduler in ``foibot run --web``.

The socket is bound in the caller's thread before anything else starts, so a port in use or an
address this machine does not have is a one-line error at once, not a thread dying later; and
uvicorn, outside the main thread, leaves signal handling to its host (``serve`` waits for
SIGINT/SIGTERM itself; ``run`` already handles them and stops the server on its way out).
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from foibot.app import App
from foibot.errors import UsageError
from foibot.web.app import create_app
from foibot.web.security import access_token

STARTUP_SECONDS = 15.0
SHUTDOWN_SECONDS = 10.0


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free port)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}"
                         " (is another server using it? give another --port)") from None
    sock.set_inheritable(False)
    return sock


class WebServer:
    """One uvicorn server in a daemon thread; :meth:`stop` lets open requests finish."""

    def __init__(self, web: Starlette, sock: socket.socket) -> None:
        self.sock = sock
        self.address = sock.getsockname()[:2]
        config = uvicorn.Config(web, lifespan="off", log_config=None, access_log=False,
                                log_level="warning", timeout_graceful_shutdown=5)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]},
                                       name="foibot-web", daemon=True)

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

    def start(self) -> "WebServer":
        self.thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise UsageError(f"the web view did not start on {self.url}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread.is_alive():
            self.thread.join(SHUTDOWN_SECONDS)
        self.sock.close()


def start(app: App, *, host: str, port: int) -> WebServer:
    """Check the address against the token, bind, and serve ``app``'s state dir."""
    token = access_token(app.config, host)
    sock = bind(host, port)
    try:
        return WebServer(create_app(App(app.config), token=token), sock).start()
    except BaseException:
        sock.close()
        raise


def serve_until_signalled(server: WebServer) -> str:
    """Block until SIGINT or SIGTERM, stop the server, and name the signal."""
    stop = threading.Event()
    got: list[str] = []

    def handler(signum: int, _frame: FrameType | None) -> None:
        got.append(signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            if not server.thread.is_alive():
                got.append("server stopped")
                break
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
        server.stop()
    return got[0] if got else "stopped"

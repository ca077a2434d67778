"""A real local webhook endpoint for notification tests.

``WebhookServer`` is ``http.server.ThreadingHTTPServer`` on 127.0.0.1 (a free port) recording
every POSTed JSON body with the status it was answered with. ``fail_next(n)`` answers the next
``n`` posts with 500; ``stop()`` and ``start()`` take it down and bring it back on the same port;
``delay`` makes every answer wait (for timeouts; ``arrived`` counts posts as they come in).

Test modules take the fixture (named ``webhook_server``) by importing it::

    from tests.webhook_server import webhook_server_fixture  # noqa: F401 (fixture)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.servers import LoopbackHTTP

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Post:
    path: str
    body: Any
    status: int


class WebhookServer(LoopbackHTTP):
    def __init__(self) -> None:
        super().__init__()
        self.posts: list[Post] = []
        self.delay = 0.0
        self.arrived = 0          # posts received, counted before any delay
        self._failures = 0
        self._failure_status = 500
        self._lock = threading.Lock()

    def url(self, path: str = "/hook") -> str:
        return f"http://{HOST}:{self.port}{path}"

    def start(self) -> WebhookServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with owner._lock:
                    owner.arrived += 1
                if owner.delay:
                    time.sleep(owner.delay)
                status = owner._answer()
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode("utf-8", "replace")
                with owner._lock:
                    owner.posts.append(Post(self.path, body, status))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up waiting (timeout tests)

            def log_message(self, *_: Any) -> None:
                pass

        self.serve(Handler, port=self.port)
        return self

    def _answer(self) -> int:
        with self._lock:
            if self._failures:
                self._failures -= 1
                return self._failure_status
            return 200

    def fail_next(self, count: int, status: int = 500) -> None:
        with self._lock:
            self._failures = count
            self._failure_status = status

    def delivered(self, path: str | None = None) -> list[Any]:
        """Bodies answered 2xx (optionally only those posted to ``path``)."""
        with self._lock:
            return [p.body for p in self.posts
                    if 200 <= p.status < 300 and (path is None or p.path == path)]

    def wait_for(self, count: int, *, timeout: float = 10.0) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.delivered()) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.delivered()


@pytest.fixture(name="webhook_server")
def webhook_server_fixture() -> Iterator[WebhookServer]:
    server = WebhookServer().start()
    yield server
    server.stop()

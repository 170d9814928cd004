"""A real HTTP server on loopback that plays an SMS provider (``http.server`` in a thread).

Each test queues the answers it wants (status, JSON body, or a delay past the client's
timeout); the server records every request it received: path, headers, parsed body.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON; None: {"id": "msg-<n>"}
    delay: float = 0.0


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes
    body: Any
    answered: int


@dataclass
class Provider:
    url: str
    answers: list[Answer] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, *answers: Answer) -> None:
        with self.lock:
            self.answers.extend(answers)

    def next_answer(self) -> Answer:
        with self.lock:
            return self.answers.pop(0) if self.answers else Answer()

    def accepted(self) -> list[Received]:
        return [r for r in self.received if r.answered == 200]


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            answer = provider.next_answer()
            if answer.delay:
                time.sleep(answer.delay)
            if self.headers.get("Content-Type", "").startswith("application/json"):
                body: Any = json.loads(raw)
            else:
                body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
            number = len(provider.received) + 1
            provider.received.append(
                Received(self.path, dict(self.headers), raw, body, answer.status)
            )
            reply = answer.body if answer.body is not None else {"id": f"msg-{number}"}
            content = json.dumps(reply).encode()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def sms_provider() -> Iterator[Provider]:
    provider = Provider(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(provider))
    host, port = server.server_address[:2]
    provider.url = f"http://{host}:{port}/v1/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def http_sms_settings(provider: Provider, **extra: Any) -> dict[str, Any]:
    """``PARRAIN_SMS`` for ``HttpBackend`` aimed at ``provider``."""
    return {
        "BACKEND": "parrain.core.messaging.sms.HttpBackend",
        "URL": provider.url,
        "HEADERS": {"Authorization": "Bearer provider-key"},
        "BODY": {"recipient": "{to}", "message": {"text": "{text}"}, "from": "{sender}"},
        "SENDER": "Lumiere",
        "TIMEOUT": 2,
        "ID_FIELD": "id",
        **extra,
    }

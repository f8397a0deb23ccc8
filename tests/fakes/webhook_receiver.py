"""A webhook receiver on loopback, as a CRM would run one: it verifies every message with the
``standardwebhooks`` library, keeps each ``webhook-id`` once, and can answer late (after the
sender's timeout) or be down for a while."""

from __future__ import annotations

import base64
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    """What the receiver has seen."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)  # by webhook-id, first receipt
    order: list[str] = field(default_factory=list)  # webhook-ids in first-receipt order
    duplicates: list[str] = field(default_factory=list)
    unverified: int = 0


class WebhookReceiver:
    """Listens on 127.0.0.1; ``slow_first`` answers the first N messages after ``delay`` seconds."""

    def __init__(self, secret: str, *, port: int = 0, slow_first: int = 0, delay: float = 0.0) -> None:
        self.secret, self.port = secret, port
        self.slow_left, self.delay = slow_first, delay
        self.received = Received()
        self.status: int = 204
        self.headers: dict[str, str] = {}  # what to answer (a test may ask for 410, 429, 500)
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/handoff"

    def start(self) -> WebhookReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.take(body, dict(self.headers.items()))
                with receiver.lock:
                    slow = receiver.slow_left > 0
                    receiver.slow_left -= 1 if slow else 0
                if slow:
                    time.sleep(receiver.delay)  # the sender has given up waiting by now
                self.send_response(receiver.status)
                for name, value in dict(receiver.headers).items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def take(self, body: bytes, headers: dict[str, str]) -> None:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError:
            with self.lock:
                self.received.unverified += 1
            return
        msg_id = {key.lower(): value for key, value in headers.items()}["webhook-id"]
        with self.lock:
            if msg_id in self.received.messages:
                self.received.duplicates.append(msg_id)
                return
            self.received.messages[msg_id] = payload
            self.received.order.append(msg_id)

    def types(self) -> list[str]:
        with self.lock:
            return [str(self.received.messages[msg_id]["type"]) for msg_id in self.received.order]

    def snapshot(self) -> Received:
        with self.lock:
            return Received(
                dict(self.received.messages),
                list(self.received.order),
                list(self.received.duplicates),
                self.received.unverified,
            )


def secret_for_tests() -> str:
    """A Standard Webhooks secret made for the test run (never a real one)."""
    return "whsec_" + base64.b64encode(os.urandom(24)).decode()

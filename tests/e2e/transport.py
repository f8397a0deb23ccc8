"""The two ways Slack reaches ``serve``: a signed POST to ``/slack/events``, or an envelope over the
Socket Mode connection. Either way a test gets back the acknowledgement the app gave."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx

from tests.fakes.slack_socket import FakeSocket
from tests.slack_requests import interactive, signed


@dataclass(frozen=True)
class Acked:
    """The app's acknowledgement: a status (200 for any socket ack) and the JSON it carried, if any."""

    status: int
    payload: dict[str, Any] | None


class Transport(Protocol):
    name: str

    def interactive(self, payload: dict[str, Any]) -> Acked:
        """Send a block_actions or view_submission payload."""
        ...

    def command(self, fields: dict[str, str]) -> Acked:
        """Send a slash command's fields."""
        ...


class HttpTransport:
    """Signed POSTs to ``/slack/events``, as Slack sends them to a public host."""

    name = "http"

    def __init__(self, url: str) -> None:
        self.url = url

    def interactive(self, payload: dict[str, Any]) -> Acked:
        return self._post(*interactive(payload))

    def command(self, fields: dict[str, str]) -> Acked:
        return self._post(*signed(urlencode(fields)))

    def _post(self, body: bytes, headers: dict[str, str]) -> Acked:
        answer = httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=10)
        return Acked(answer.status_code, json.loads(answer.content) if answer.content else None)


class SocketTransport:
    """Envelopes over the fake Socket Mode connection; waits for the app's ack."""

    name = "socket"

    def __init__(self, socket: FakeSocket) -> None:
        self.socket = socket

    def interactive(self, payload: dict[str, Any]) -> Acked:
        return Acked(200, self.socket.ack(self.socket.send("interactive", payload)))

    def command(self, fields: dict[str, str]) -> Acked:
        return Acked(200, self.socket.ack(self.socket.send("slash_commands", fields)))

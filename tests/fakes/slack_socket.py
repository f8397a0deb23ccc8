"""Slack's Socket Mode endpoint on loopback: ``hello`` on connect, envelopes out, acks in.

An envelope not acknowledged is delivered again on the next connection, as Slack retries; acks
are recorded by ``envelope_id`` with the payload the app returned, from whichever connection.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

_envelope_ids = itertools.count(1)


class FakeSocket:
    """Start with ``start()``; ``FakeSlack`` hands ``url`` out from ``apps.connections.open``."""

    def __init__(self) -> None:
        self.changed = threading.Condition()
        self.acks: dict[str, dict[str, Any] | None] = {}
        self.deliveries: list[str] = []  # envelope ids in the order sent, re-deliveries included
        self.connections = 0
        self._unacked: dict[str, dict[str, Any]] = {}
        self._current: ServerConnection | None = None
        self._server = serve(self._session, "127.0.0.1", 0, ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The ``ws://`` URL ``apps.connections.open`` answers with."""
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link/?ticket=fake"

    def start(self) -> FakeSocket:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(5)

    def wait_connected(self, *, connections: int = 1, timeout: float = 15) -> None:
        """Block until the app has said hello-back by connecting ``connections`` times in all."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.connections >= connections, timeout):
                raise AssertionError(f"the app connected {self.connections} times, not {connections}")

    def send(self, kind: str, payload: dict[str, Any], *, drop_after: bool = False) -> str:
        """Deliver an envelope of ``kind`` (events_api, interactive, slash_commands); its id.
        ``drop_after`` closes the connection right after, before any ack can arrive."""
        envelope = {
            "envelope_id": f"env-{next(_envelope_ids)}",
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        with self.changed:
            self._unacked[envelope["envelope_id"]] = envelope
            connection = self._current
        assert connection is not None, "no app is connected"
        self._deliver(connection, envelope)
        if drop_after:
            connection.close()
        return str(envelope["envelope_id"])

    def ack(self, envelope_id: str, *, timeout: float = 10) -> dict[str, Any] | None:
        """The payload the app acknowledged ``envelope_id`` with (None: a bare ack)."""
        with self.changed:
            if not self.changed.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"envelope {envelope_id} was never acknowledged")
            return self.acks[envelope_id]

    def ask_to_reconnect(self) -> None:
        """Send ``disconnect`` (refresh_requested): the app opens a new connection."""
        with self.changed:
            connection = self._current
        assert connection is not None, "no app is connected"
        connection.send(json.dumps({"type": "disconnect", "reason": "refresh_requested"}))

    def _deliver(self, connection: ServerConnection, envelope: dict[str, Any]) -> None:
        with self.changed:
            self.deliveries.append(str(envelope["envelope_id"]))
        with contextlib.suppress(ConnectionClosed):  # delivered again on the next connection
            connection.send(json.dumps(envelope))

    def _session(self, connection: ServerConnection) -> None:
        with self.changed:
            self._current = connection
            self.connections += 1
            pending = list(self._unacked.values())
            self.changed.notify_all()
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}}))
        for envelope in pending:
            if envelope["type"] == "events_api":
                envelope |= {"retry_attempt": envelope["retry_attempt"] + 1, "retry_reason": "timeout"}
            self._deliver(connection, envelope)
        try:
            for message in connection:
                self._record(json.loads(message))
        except ConnectionClosed:
            return

    def _record(self, ack: dict[str, Any]) -> None:
        with self.changed:
            envelope_id = str(ack.get("envelope_id"))
            self._unacked.pop(envelope_id, None)
            self.acks.setdefault(envelope_id, ack.get("payload"))
            self.changed.notify_all()

"""Slack's Socket Mode endpoint on loopback: ``hello`` on connect, envelopes out, acks in.

Acks are recorded by ``envelope_id`` with the payload the app returned. An ack settles its
envelope only on the connection the envelope went out on; an envelope whose connection closes
unsettled is delivered again on the current connection, as Slack retries.
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
        self._sent_on: dict[str, ServerConnection | None] = {}  # None: its connection closed
        self._dropped: set[int] = set()  # connections lost with what they carried
        self._current: ServerConnection | None = None
        self._server = serve(self._session, "127.0.0.1", 0, ping_interval=None, close_timeout=0.2)
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
        """Block until the app has connected ``connections`` times in all."""
        with self.changed:
            if not self.changed.wait_for(lambda: self.connections >= connections, timeout):
                raise AssertionError(f"the app connected {self.connections} times, not {connections}")

    def send(self, kind: str, payload: dict[str, Any], *, drop_after: bool = False) -> str:
        """Deliver an envelope of ``kind`` (events_api, interactive, slash_commands); its id.
        ``drop_after`` loses the connection right after, with any ack sent on it."""
        envelope = {
            "envelope_id": f"env-{next(_envelope_ids)}",
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        if kind == "events_api":
            envelope |= {"retry_attempt": 0, "retry_reason": ""}
        with self.changed:
            connection = self._current
            assert connection is not None, "no app is connected"
            self._unacked[envelope["envelope_id"]] = envelope
            self._sent_on[envelope["envelope_id"]] = connection
            self.deliveries.append(envelope["envelope_id"])
            if drop_after:
                self._dropped.add(id(connection))
        with contextlib.suppress(ConnectionClosed):
            connection.send(json.dumps(envelope))
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

    def drop(self) -> None:
        """Close the current connection, as a network failure would."""
        with self.changed:
            connection = self._current
        if connection is not None:
            connection.close()

    def _session(self, connection: ServerConnection) -> None:
        with self.changed:
            self._current = connection
            self.connections += 1
            self.changed.notify_all()
        connection.send(json.dumps({"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}}))
        self._redeliver()
        try:
            for message in connection:
                self._record(connection, json.loads(message))
        except ConnectionClosed:
            pass
        with self.changed:
            for envelope_id, sent_on in self._sent_on.items():
                if sent_on is connection:
                    self._sent_on[envelope_id] = None
        self._redeliver()

    def _redeliver(self) -> None:
        """Send every envelope whose connection closed before its ack to the current connection."""
        with self.changed:
            target = self._current
            if target is None or id(target) in self._dropped:
                return
            orphans = [envelope for key, envelope in self._unacked.items() if self._sent_on[key] is None]
            for envelope in orphans:
                self._sent_on[envelope["envelope_id"]] = target
                self.deliveries.append(envelope["envelope_id"])
                if envelope["type"] == "events_api":
                    envelope |= {"retry_attempt": envelope["retry_attempt"] + 1, "retry_reason": "timeout"}
        for envelope in orphans:
            with contextlib.suppress(ConnectionClosed):
                target.send(json.dumps(envelope))

    def _record(self, connection: ServerConnection, ack: dict[str, Any]) -> None:
        with self.changed:
            if id(connection) in self._dropped:
                return  # lost with the connection
            envelope_id = str(ack.get("envelope_id"))
            self.acks.setdefault(envelope_id, ack.get("payload"))
            if self._sent_on.get(envelope_id) is connection:
                self._unacked.pop(envelope_id, None)
            self.changed.notify_all()

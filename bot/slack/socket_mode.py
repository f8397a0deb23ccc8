"""Slack over Socket Mode: each envelope passes the gate ``/slack/events`` applies, and acts once."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from threading import Lock

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import send_response
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.slack import gate

log = logging.getLogger(__name__)
_REMEMBERED = 1000  # envelope ids kept to recognise a re-delivery


class SocketHandler(SocketModeHandler):
    """Bolt's built-in Socket Mode handler (no extra dependency), with the HTTP path's checks."""

    def __init__(self, app: App, *, app_token: str, ping_interval: float = 10) -> None:
        # A connection closed by Slack's side is only noticed by the client's check every
        # ``ping_interval`` seconds; a "disconnect" message reconnects at once.
        super().__init__(app, app_token, ping_interval=ping_interval)
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_lock = Lock()

    def handle(self, client: SocketModeClient, req: SocketModeRequest) -> None:  # type: ignore[override]
        # Slack delivers an envelope again when its ack was lost, e.g. to a reconnect.
        if not self._first_delivery(req.envelope_id):
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        try:
            payload = gate.bolt_payload(req.payload)
        except gate.Answer as answer:
            if answer.status != 200:
                log.warning("ignored a malformed Slack %s envelope", req.type)
            client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
            return
        started = time.time()
        request = BoltRequest(mode="socket_mode", body=payload, headers=_retry_headers(req))
        send_response(client, req, self.app.dispatch(request), started)

    def _first_delivery(self, envelope_id: str) -> bool:
        with self._seen_lock:
            if envelope_id in self._seen:
                return False
            self._seen[envelope_id] = None
            if len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
            return True


def _retry_headers(req: SocketModeRequest) -> dict[str, str | Sequence[str]]:
    # Slack numbers the first delivery of an event 0: only later attempts are retries.
    if not req.retry_attempt:
        return {}
    return {"x-slack-retry-num": str(req.retry_attempt), "x-slack-retry-reason": req.retry_reason or ""}

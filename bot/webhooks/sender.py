"""POSTing one webhook message: signed the Standard Webhooks way (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``), the same id on every attempt, so a receiver that got it before a timeout
drops the repeat. A 2xx answer delivers it; 410 Gone parks it (the receiver says stop); anything
else, or no answer, is tried again with backoff (a 429's Retry-After is honoured)."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from bot.slack.delivery_outcomes import Later, Park, Problem, Sent
from bot.version import handoff_version
from bot.webhooks.config import WebhookConfig
from storage.outbox import OutboxEntry

GONE = 410


def message_id(entry_id: int) -> str:
    """The ``webhook-id`` of an outbox entry: stable across attempts and replays."""
    return f"msg_handoff_{entry_id}"


class WebhookSender:
    """Delivers webhook entries to the endpoints of the webhooks file."""

    def __init__(
        self, *, config: WebhookConfig, timeout: float, environ: Mapping[str, str] | None = None
    ) -> None:
        self._config = config
        self._environ = os.environ if environ is None else environ
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def deliver(self, entry: OutboxEntry) -> Sent:
        """POST the entry's message, or raise :class:`Later` / :class:`Park`."""
        name = entry.channel or ""
        endpoint = self._config.endpoint(name)
        if endpoint is None:
            problem = Problem(
                f"webhook:{name}", f"Webhook endpoint {name!r} is no longer in HANDOFF_WEBHOOKS."
            )
            raise Park(f"no endpoint {name!r}", problem=problem)
        body = json.dumps(entry.payload.get("body", {}), separators=(",", ":"), ensure_ascii=False)
        # The receiver checks the timestamp against its own clock: the real time of this attempt.
        sent_at = datetime.fromtimestamp(int(time.time()), UTC)
        msg_id = message_id(entry.id)
        signature = Webhook(endpoint.signing_secret(self._environ)).sign(msg_id, sent_at, body)
        headers = {
            "content-type": "application/json",
            "user-agent": f"Handoff/{handoff_version()}",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": signature,
        }
        try:
            answer = self._client.post(str(endpoint.url), content=body.encode(), headers=headers)
        except httpx.HTTPError as exc:
            raise Later(f"{endpoint.name}: {type(exc).__name__}: {exc}", cause="connection_error") from None
        if 200 <= answer.status_code < 300:
            return Sent()
        if answer.status_code == GONE:
            problem = Problem(
                f"webhook:{name}", f"Webhook endpoint {name!r} answered 410 Gone: it takes no more messages."
            )
            raise Park(f"{name}: 410 Gone", problem=problem)
        retry_after = _seconds(answer.headers.get("retry-after")) if answer.status_code == 429 else None
        raise Later(f"{name}: HTTP {answer.status_code}", cause="http_error", retry_after=retry_after)

    def close(self) -> None:
        """Close the connections."""
        self._client.close()


def _seconds(value: str | None) -> float | None:
    try:
        return max(float(value or ""), 0.0)
    except ValueError:
        return None

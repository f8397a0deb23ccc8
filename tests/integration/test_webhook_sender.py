"""One webhook attempt against a receiver on loopback: signed, and what each answer leads to."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from bot.slack.delivery_outcomes import Later, Park, Sent
from bot.webhooks.config import parse_webhooks
from bot.webhooks.sender import WebhookSender, message_id
from storage.outbox import WEBHOOK, OutboxEntry
from tests.fakes.webhook_receiver import WebhookReceiver, secret_for_tests

BODY = {"type": "handoff.decided", "timestamp": "2026-11-27T10:00:00+00:00", "data": {"handoff_id": 7}}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    started = WebhookReceiver(secret_for_tests()).start()
    yield started
    started.stop()


def sender_for(receiver: WebhookReceiver, *, url: str | None = None) -> WebhookSender:
    text = f"endpoints: [{{name: crm, url: '{url or receiver.url}', secret: {receiver.secret}}}]"
    return WebhookSender(config=parse_webhooks(text, source="hooks.yaml"), timeout=2)


def entry(entry_id: int = 42, endpoint: str = "crm") -> OutboxEntry:
    return OutboxEntry(entry_id, WEBHOOK, None, endpoint, {"body": BODY}, 1, False, datetime.now(UTC))


def test_a_delivered_message_is_verified_by_the_receiver_with_its_stable_id(
    receiver: WebhookReceiver,
) -> None:
    sender = sender_for(receiver)

    assert sender.deliver(entry()) == Sent()
    assert sender.deliver(entry()) == Sent()  # an attempt again: the same id, dropped by the receiver

    got = receiver.snapshot()
    assert got.unverified == 0
    assert got.order == [message_id(42)]
    assert got.duplicates == [message_id(42)]
    assert got.messages[message_id(42)] == BODY


def test_gone_parks_and_other_refusals_come_back_later(receiver: WebhookReceiver) -> None:
    sender = sender_for(receiver)
    receiver.status = 410
    with pytest.raises(Park, match="410 Gone"):
        sender.deliver(entry())
    receiver.status, receiver.headers = 429, {"Retry-After": "7"}
    with pytest.raises(Later) as later:
        sender.deliver(entry())
    assert later.value.retry_after == 7
    receiver.status, receiver.headers = 500, {}
    with pytest.raises(Later, match="HTTP 500"):
        sender.deliver(entry())


def test_a_receiver_that_is_not_there_and_an_endpoint_no_longer_in_the_file(
    receiver: WebhookReceiver,
) -> None:
    closed = sender_for(receiver, url="http://127.0.0.1:1/hooks")
    with pytest.raises(Later, match="crm"):
        closed.deliver(entry())
    with pytest.raises(Park, match="no endpoint 'old'"):
        sender_for(receiver).deliver(entry(endpoint="old"))

"""Helpers for delivery tests: SQL leads to ingest, what the fake Slack shows, an in-process worker."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.metrics import Metrics
from bot.runtime import Runtime, build_runtime, utcnow
from bot.slack.app import make_client
from bot.slack.delivery import DeliveryWorker
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import SALES_CHANNEL, make_settings
from tests.e2e.conftest import wait_until
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import BOT_TOKEN

FAST_DELIVERY: dict[str, object] = {
    "post_rate": 50,
    "slack_timeout_seconds": 1,
    "delivery_lease_seconds": 5,
    "delivery_backoff_cap_seconds": 1,
    "parked_retry_seconds": 1,
}


def sql_events(count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """Events that make ``count`` leads SQLs (one handoff card each)."""
    events = []
    for number in range(start, start + count):
        email = f"buyer{number}@acme.io"
        events += [event(email, lead=FIT_LEAD), event(email, "demo_request")]
    return events


def cards_per_handoff(fake: FakeSlack, channel: str = SALES_CHANNEL) -> Counter[int]:
    """How many cards of each handoff are in ``channel``."""
    return Counter(
        message["metadata"]["event_payload"]["handoff_id"]
        for message in fake.channel_messages(channel)
        if (message.get("metadata") or {}).get("event_type") == "handoff_card"
    )


def card_order(fake: FakeSlack, channel: str = SALES_CHANNEL) -> list[int]:
    """Handoff ids of the cards in ``channel``, in posting order."""
    return [
        message["metadata"]["event_payload"]["handoff_id"]
        for message in fake.channel_messages(channel)
        if (message.get("metadata") or {}).get("event_type") == "handoff_card"
    ]


FOLLOW_UP_KINDS = {"⏰": "sla_reminder", "🚨": "sla_escalation"}


def follow_ups(fake: FakeSlack, kind: str, channel: str = SALES_CHANNEL) -> Counter[int]:
    """How many thread lines of ``kind`` (sla_reminder or sla_escalation) each handoff got."""
    messages = fake.channel_messages(channel)
    handoff_of = {
        message["ts"]: message["metadata"]["event_payload"]["handoff_id"]
        for message in messages
        if (message.get("metadata") or {}).get("event_type") == "handoff_card"
    }
    return Counter(
        handoff_of.get(message["thread_ts"], -1)
        for message in messages
        if message.get("thread_ts") and FOLLOW_UP_KINDS.get(str(message.get("text"))[:1]) == kind
    )


class Delivery:
    """A runtime and its delivery worker on the fake Slack, driven from the test's thread."""

    def __init__(self, runtime: Runtime, fake: FakeSlack) -> None:
        self.runtime = runtime
        self.fake = fake
        self.metrics = Metrics(runtime.uow, now=utcnow)
        client = make_client(runtime, on_call=self.metrics.record_slack_call)
        self.worker = DeliveryWorker(runtime=runtime, client=client, metrics=self.metrics)

    def ingest_sqls(self, count: int, *, start: int = 0) -> None:
        """Make ``count`` SQLs (queues their cards)."""
        self.runtime.ingest(parsed(*sql_events(count, start=start)))

    def run_until(self, condition: Any, *, timeout: float = 30, what: str = "delivery") -> None:
        """Run the worker until ``condition()`` holds."""
        wait_until(lambda: (self.worker.run_once(), condition())[1], timeout=timeout, what=what)

    def drain(self, *, timeout: float = 30) -> None:
        """Run the worker until no entry is pending (parked ones excepted)."""
        self.run_until(lambda: self.outbox()["pending"] + self.outbox()["in_flight"] == 0, timeout=timeout)

    def outbox(self) -> dict[str, int]:
        """Entries by state."""
        with self.runtime.uow() as uow:
            return uow.outbox.stats(now=utcnow()).by_state

    def counter(self, name: str, **labels: str) -> float:
        """A metric's value (0 when never set)."""
        return self.metrics.registry.get_sample_value(name, labels) or 0.0


@contextmanager
def delivery(database_url: str, fake: FakeSlack, **overrides: object) -> Iterator[Delivery]:
    """A migrated runtime with fast delivery settings (``overrides`` win) and its worker."""
    settings = make_settings(
        database_url,
        slack_bot_token=BOT_TOKEN,
        slack_api_url=fake.base_url,
        **(FAST_DELIVERY | overrides),
    )
    runtime = build_runtime(settings)
    try:
        yield Delivery(runtime, fake)
    finally:
        runtime.close()

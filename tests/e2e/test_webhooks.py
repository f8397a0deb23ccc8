"""Outbound webhooks end to end: a real ``handoff serve`` with a webhooks file, a receiver on loopback
that verifies every message with the ``standardwebhooks`` library, a timeout after the receiver got a
message, and the receiver down for a while."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.slack import ids
from tests.builders import FIT_LEAD
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, serve_env, start_serve_process, stop_process, wait_until
from tests.e2e.lifecycle_service import cards, current, handoff_of, shown
from tests.fakes.slack_api import FakeSlack
from tests.fakes.webhook_receiver import WebhookReceiver, secret_for_tests
from tests.slack_requests import block_action, interactive

ROUTING = f"""
teams:
  core:
    members: [{{user: URITA}}]
    hours: {{days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "23:59"}}
routes: [{{name: everyone, channel: {SALES_CHANNEL}, team: core}}]
"""
EVERY_TYPE = {"lead.stage_changed", "handoff.assigned", "handoff.posted", "handoff.decided", "lead.outcome"}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    # The first message is answered after the sender's 1 s timeout: it is sent again, same id.
    started = WebhookReceiver(secret_for_tests(), slow_first=1, delay=2.5).start()
    yield started
    started.stop()


def post(url: str, events: list[dict[str, Any]]) -> None:
    answer = httpx.post(f"{url}/v1/events?wait=10", json=events, headers=AUTH, timeout=20)
    assert answer.status_code == 200, answer.text


def failed_attempts(database_url: str) -> int:
    with create_engine(database_url).connect() as connection:
        query = (
            "SELECT count(*) FROM outbox"
            " WHERE kind = 'webhook' AND last_error IS NOT NULL AND status <> 'sent'"
        )
        return int(connection.execute(text(query)).scalar_one())


def test_a_receiver_gets_every_event_once_verified_in_order_despite_a_timeout_and_downtime(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, receiver: WebhookReceiver
) -> None:
    (tmp_path / "routing.yaml").write_text(ROUTING, encoding="utf-8")
    hooks = tmp_path / "webhooks.yaml"
    hooks.write_text(
        f"endpoints:\n  - name: crm\n    url: {receiver.url}\n    secret_env: HANDOFF_TEST_CRM_SECRET\n",
        encoding="utf-8",
    )
    env = serve_env(
        database_url,
        fake_slack,
        HANDOFF_ROUTING=str(tmp_path / "routing.yaml"),
        HANDOFF_WEBHOOKS=str(hooks),
        HANDOFF_TEST_CRM_SECRET=receiver.secret,
        HANDOFF_WEBHOOK_TIMEOUT_SECONDS="1",
        HANDOFF_DELIVERY_BACKOFF_CAP_SECONDS="1",
        HANDOFF_PARKED_RETRY_SECONDS="1",
        HANDOFF_SCORER_POLL_SECONDS="0.2",
        HANDOFF_DELIVERY_POLL_SECONDS="0.2",
    )
    process, url = start_serve_process(env, tmp_path, output=tmp_path / "serve.log")
    now = datetime.now(UTC)
    try:
        post(
            url,
            [
                {
                    "event_id": "w-1",
                    "email": "ana@acme.io",
                    "type": "page_view",
                    "occurred_at": now.isoformat(),
                    "lead": FIT_LEAD,
                },
                {
                    "event_id": "w-2",
                    "email": "ana@acme.io",
                    "type": "demo_request",
                    "occurred_at": now.isoformat(),
                },
            ],
        )
        wait_until(lambda: "handoff.posted" in receiver.types(), timeout=20, what="the card's webhook")
        wait_until(
            lambda: receiver.snapshot().duplicates,
            timeout=20,
            what="the message sent again after the timeout",
        )

        receiver.stop()
        (card,) = cards(fake_slack)
        click = block_action(
            action_id=ids.ACCEPT,
            value=str(handoff_of(card)),
            user="URITA",
            channel=SALES_CHANNEL,
            message_ts=card["ts"],
        )
        body, headers = interactive(click)
        assert httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10).status_code == 200
        wait_until(
            lambda: "Accepted by <@URITA>" in shown(current(fake_slack, card)), what="the accepted card"
        )
        won = now + timedelta(minutes=5)
        post(
            url,
            [
                {
                    "event_id": "w-3",
                    "email": "ana@acme.io",
                    "type": "closed_won",
                    "occurred_at": won.isoformat(),
                    "properties": {"amount": 12000, "currency": "EUR"},
                }
            ],
        )
        wait_until(
            lambda: failed_attempts(database_url), timeout=20, what="attempts while the receiver is down"
        )
        receiver.start()
        wait_until(
            lambda: set(receiver.types()) >= EVERY_TYPE, timeout=30, what="every event after the downtime"
        )
    finally:
        stop_process(process)

    got = receiver.snapshot()
    assert got.unverified == 0
    numbers = [int(msg_id.removeprefix("msg_handoff_")) for msg_id in got.order]
    assert numbers == sorted(numbers)  # in order for the lead: one lane per lead and endpoint
    decided = next(m for m in got.messages.values() if m["type"] == "handoff.decided")
    assert (decided["data"]["decision"], decided["data"]["decided_by"]) == ("accept", "URITA")
    outcome = next(m for m in got.messages.values() if m["type"] == "lead.outcome")
    assert (outcome["data"]["outcome"], outcome["data"]["amount"]) == ("closed_won", 12000)
    assigned = next(m for m in got.messages.values() if m["type"] == "handoff.assigned")
    assert (assigned["data"]["assignee"], assigned["data"]["cause"]) == ("URITA", "route")

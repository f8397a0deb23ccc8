"""Rate limits: they wait without spending attempts, slow the channel down, and keep cards in order."""

from __future__ import annotations

import time

import pytest

from bot.runtime import utcnow
from bot.services.sla import scan_sla
from tests.conftest import SALES_CHANNEL
from tests.e2e.delivery_helpers import card_order, cards_per_handoff, delivery, follow_ups
from tests.fakes.slack_api import FakeSlack


def test_eight_rate_limits_then_success_post_one_card_without_parking(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=0, times=8)
    with delivery(database_url, fake_slack, delivery_max_attempts=8) as run:
        run.ingest_sqls(1)
        run.drain()

        assert list(cards_per_handoff(fake_slack).values()) == [1]
        assert run.outbox() == {"pending": 0, "in_flight": 0, "parked": 0, "sent": 1}
        assert run.counter("handoff_delivery_retries_total", cause="rate_limited") == 8
        assert (
            run.counter("handoff_slack_api_calls_total", method="chat.postMessage", outcome="ratelimited")
            == 8
        )
        assert run.counter("handoff_outbox_parked_total", kind="handoff_card") == 0


def test_a_rate_limited_card_is_not_overtaken_by_younger_cards(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    with delivery(database_url, fake_slack) as run:
        run.ingest_sqls(6)
        run.drain()

    order = card_order(fake_slack)
    assert len(order) == 6
    assert order == sorted(order)


@pytest.mark.slow
def test_a_channel_slower_than_the_configured_rate_slows_the_worker_down(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.state.rate_per_second = 5  # Slack allows a quarter of HANDOFF_POST_RATE
    with delivery(database_url, fake_slack, post_rate=20, delivery_backoff_cap_seconds=5) as run:
        run.ingest_sqls(40)
        run.drain(timeout=60)

    order = card_order(fake_slack)
    assert len(order) == 40
    assert order == sorted(order)
    assert fake_slack.rate_limited <= 10  # it adapts: a 429 now and then, not one every other post


def test_a_reminder_waits_for_its_card_instead_of_being_parked(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    with delivery(database_url, fake_slack, sla_minutes=0.001) as run:
        run.ingest_sqls(1)
        run.worker.run_once()  # the card is rate limited: not posted yet
        time.sleep(0.1)
        assert scan_sla(uow=run.runtime.uow(), now=utcnow(), sla_minutes=0.001).reminded
        run.drain()

        assert run.outbox()["parked"] == 0
    assert list(cards_per_handoff(fake_slack).values()) == [1]
    assert list(follow_ups(fake_slack, "sla_reminder").values()) == [1]
    card_ts = fake_slack.channel_messages(SALES_CHANNEL)[0]["ts"]
    assert all(m["thread_ts"] == card_ts for m in fake_slack.channel_messages(SALES_CHANNEL)[1:])

"""Ambiguous outcomes: a post Slack stored but whose answer never came is looked for, not repeated."""

from __future__ import annotations

import time

import pytest

from bot.runtime import utcnow
from bot.services.sla import scan_sla
from tests.conftest import SALES_CHANNEL
from tests.e2e.delivery_helpers import cards_per_handoff, delivery, follow_ups
from tests.fakes.slack_api import FakeSlack

STORED_THEN_LOST = {
    "answer slower than the timeout": {"delay": 2.5, "status": 200},
    "HTTP 500 after storing": {"status": 500},
    "connection dropped after storing": {"status": 0},
}


@pytest.mark.parametrize("fault", STORED_THEN_LOST.values(), ids=STORED_THEN_LOST.keys())
def test_a_card_stored_by_slack_whose_answer_is_lost_is_posted_exactly_once(
    database_url: str, fake_slack: FakeSlack, fault: dict[str, float]
) -> None:
    fake_slack.fail_next("chat.postMessage", after_store=True, **fault)  # type: ignore[arg-type]
    with delivery(database_url, fake_slack) as run:
        run.ingest_sqls(1)
        run.drain()

        assert list(cards_per_handoff(fake_slack).values()) == [1]
        assert run.outbox() == {"pending": 0, "in_flight": 0, "parked": 0, "sent": 1}
        with run.runtime.uow() as uow:
            handoff = uow.handoffs.open_for_home(limit=1)[0]
        assert handoff.message_ts == fake_slack.channel_messages(SALES_CHANNEL)[0]["ts"]
        assert len(fake_slack.all_calls("conversations.history")) >= 1


def test_the_lookup_finds_the_card_behind_a_thousand_newer_messages(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", status=500, after_store=True)
    with delivery(database_url, fake_slack, delivery_backoff_cap_seconds=3) as run:
        run.ingest_sqls(1)
        run.worker.run_once()  # the card is stored; Slack answers 500
        with fake_slack.state.lock:  # a busy channel: a thousand messages after the card
            for number in range(1000):
                message = {"ts": fake_slack.state.next_ts(), "text": f"chatter {number}", "user": "URITA"}
                fake_slack.state.messages[SALES_CHANNEL].append(message)
        run.drain()

        assert list(cards_per_handoff(fake_slack).values()) == [1]
        pages = fake_slack.all_calls("conversations.history")
        assert len(pages) >= 6  # 1,001 messages at 200 a page
        assert len({call.params.get("cursor") for call in pages}) == len(pages)


def test_a_reminder_in_doubt_is_not_posted_twice_in_the_thread(
    database_url: str, fake_slack: FakeSlack
) -> None:
    with delivery(database_url, fake_slack, sla_minutes=0.001) as run:
        run.ingest_sqls(1)
        run.drain()
        fake_slack.fail_next("chat.postMessage", status=502, after_store=True)
        time.sleep(0.1)  # the SLA of 0.06 s has passed
        assert scan_sla(uow=run.runtime.uow(), now=utcnow(), sla_minutes=0.001).reminded
        run.drain()

        assert list(follow_ups(fake_slack, "sla_reminder").values()) == [1]
        assert len(fake_slack.all_calls("conversations.replies")) >= 1
        assert run.counter("handoff_delivery_retries_total", cause="server_error") == 1


def test_a_card_parked_while_in_doubt_is_still_looked_for_on_its_slow_retry(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("chat.postMessage", status=503, after_store=True)
    fake_slack.fail_next("conversations.history", status=500)
    with delivery(database_url, fake_slack, delivery_max_attempts=2) as run:
        run.ingest_sqls(1)
        run.run_until(lambda: run.outbox()["parked"] == 1, what="the card parked after two failures")
        run.drain()
        run.run_until(lambda: run.outbox()["sent"] == 1, what="the slow retry")

    assert list(cards_per_handoff(fake_slack).values()) == [1]

"""An accepted lead raising its hand again: a line to its owner in the card's thread, posted once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.runtime import utcnow
from bot.services.decisions import DecisionRequest, record_decision
from scoring import Decision
from tests.builders import event, parsed
from tests.conftest import SALES_CHANNEL
from tests.e2e.delivery_helpers import Delivery, cards_per_handoff, delivery
from tests.fakes.slack_api import FakeSlack


def accept_then_raise_hand_again(run: Delivery) -> None:
    run.ingest_sqls(1)
    run.drain()
    (handoff_id,) = cards_per_handoff(run.fake)
    request = DecisionRequest(handoff_id=handoff_id, action=Decision.ACCEPT, user_id="URITA")
    runtime = run.runtime
    decided_at = utcnow() - timedelta(minutes=10)
    record_decision(
        uow=runtime.uow(), request=request, model=runtime.model, policy=runtime.policy, now=decided_at
    )
    run.drain()
    runtime.ingest(parsed(event("buyer0@acme.io", "demo_request", ago=timedelta(minutes=5))))


def owner_notes(fake: FakeSlack) -> list[dict[str, Any]]:
    return [
        message
        for message in fake.channel_messages(SALES_CHANNEL)
        if ((message.get("metadata") or {}).get("event_payload") or {}).get("kind") == "owner_note"
    ]


def test_the_owner_gets_a_line_in_the_accepted_cards_thread_and_no_new_card(
    database_url: str, fake_slack: FakeSlack
) -> None:
    with delivery(database_url, fake_slack) as run:
        accept_then_raise_hand_again(run)
        run.drain()

    (note,) = owner_notes(fake_slack)
    card = fake_slack.channel_messages(SALES_CHANNEL)[0]
    assert note["thread_ts"] == card["ts"]
    assert note["text"].startswith("<@URITA> Ana Ruiz (Acme) raised their hand again: requested a demo, ")
    assert list(cards_per_handoff(fake_slack).values()) == [1]


def test_an_owner_note_in_doubt_is_looked_for_in_the_thread_not_posted_twice(
    database_url: str, fake_slack: FakeSlack
) -> None:
    with delivery(database_url, fake_slack) as run:
        accept_then_raise_hand_again(run)
        fake_slack.fail_next("chat.postMessage", status=502, after_store=True)
        run.drain()

        assert len(owner_notes(fake_slack)) == 1
        assert len(fake_slack.all_calls("conversations.replies")) >= 1
        assert run.outbox()["sent"] == 4  # the card, its update, the decision line, the owner note

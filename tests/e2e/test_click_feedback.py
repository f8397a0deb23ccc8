"""A click changes its card at once: the update is not queued behind the channel's new cards."""

from __future__ import annotations

import httpx

from bot.slack import ids
from tests.builders import FIT_LEAD, event
from tests.e2e.conftest import AUTH, Served, wait_until
from tests.e2e.test_slack_flow import click, make_sql, posted_cards
from tests.e2e.transport import HttpTransport
from tests.fakes.slack_api import FakeSlack

QUEUED = 20


def _queue_sqls(served: Served, count: int) -> None:
    events = []
    for number in range(count):
        email = f"rep{number}@acme.io"
        events += [event(email, lead=FIT_LEAD), event(email, "demo_request")]
    answer = httpx.post(f"{served.url}/v1/events?wait=20", json=events, headers=AUTH, timeout=30)
    assert answer.json()["stage_changes"] == {"sql": count}


def test_the_clicked_card_is_updated_before_the_cards_queued_for_the_channel(
    served: Served, fake_slack: FakeSlack
) -> None:
    make_sql(served)
    wait_until(lambda: posted_cards(fake_slack), what="the first card")
    fake_slack.fail_next("chat.postMessage", status=200, delay=0.25, times=3 * QUEUED)
    _queue_sqls(served, QUEUED)
    wait_until(lambda: len(posted_cards(fake_slack)) >= 2, what="the queue to start")

    assert click(HttpTransport(served.url), fake_slack, ids.ACCEPT, "URITA").status == 200

    update = wait_until(lambda: fake_slack.calls("chat.update"), timeout=30, what="the card update")[0]
    wait_until(lambda: len(posted_cards(fake_slack)) == QUEUED + 1, timeout=60, what="every queued card")
    posted_before_the_update = [card for card in posted_cards(fake_slack)[1:] if card.at < update.at]
    assert len(posted_before_the_update) <= 3  # those in flight when the click came, not the queue
    assert "URITA" in str(update.params["blocks"])

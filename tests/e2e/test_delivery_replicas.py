"""Two ``handoff serve`` replicas on one database, posting at Slack's full rate: every card, reminder
and escalation exactly once, and the channel's pace shared so that Slack's limit holds."""

from __future__ import annotations

import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, serve_env, start_serve_process, wait_until
from tests.e2e.delivery_helpers import cards_per_handoff, follow_ups, sql_events
from tests.fakes.slack_api import FakeSlack

LEADS = 300
RATE = 50  # posts per second per channel, the fake's limit and HANDOFF_POST_RATE alike


@pytest.mark.slow
def test_two_replicas_post_every_card_and_follow_up_once_within_the_channel_limit(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.state.rate_per_second = RATE
    env = serve_env(
        database_url,
        fake_slack,
        HANDOFF_POST_RATE=str(RATE),
        HANDOFF_SLA_MINUTES="0.1",  # reminder 6 s after the card is due, escalation at 12 s
        HANDOFF_SLA_SCAN_SECONDS="1",
        HANDOFF_DELIVERY_POLL_SECONDS="0.2",
        HANDOFF_DELIVERY_BACKOFF_CAP_SECONDS="2",
        HANDOFF_DELIVERY_THREADS="3",
    )
    replicas = [start_serve_process(env, tmp_path, log=tmp_path / "serve.log") for _ in range(2)]
    try:
        batches = [sql_events(LEADS // 2, start=0), sql_events(LEADS // 2, start=LEADS // 2)]
        with ThreadPoolExecutor(2) as pool:
            answers = list(
                pool.map(
                    lambda pair: httpx.post(
                        f"{pair[0][1]}/v1/events", json=pair[1], headers=AUTH, timeout=60
                    ),
                    zip(replicas, batches, strict=True),
                )
            )
        assert [answer.status_code for answer in answers] == [200, 200]

        def all_delivered() -> bool:
            return (
                len(cards_per_handoff(fake_slack)) == LEADS
                and len(follow_ups(fake_slack, "sla_reminder")) == LEADS
                and len(follow_ups(fake_slack, "sla_escalation")) == LEADS
            )

        wait_until(all_delivered, timeout=150, what="300 cards, reminders and escalations")
        metrics = httpx.get(f"{replicas[0][1]}/metrics", timeout=10).text
    finally:
        for process, _ in replicas:
            process.send_signal(signal.SIGTERM)
        for process, _ in replicas:
            process.wait(20)

    assert set(cards_per_handoff(fake_slack).values()) == {1}
    assert set(follow_ups(fake_slack, "sla_reminder").values()) == {1}
    assert set(follow_ups(fake_slack, "sla_escalation").values()) == {1}
    busiest = fake_slack.state.busiest_second(SALES_CHANNEL, attempts=True)  # refused posts included
    print(f"posts: {3 * LEADS}, 429s: {fake_slack.rate_limited}, busiest second: {busiest}")
    assert busiest <= RATE + fake_slack.state.burst
    assert fake_slack.rate_limited <= 3 * LEADS // 50  # no storm: a few at most
    assert 'handoff_outbox_entries{status="parked"} 0.0' in metrics

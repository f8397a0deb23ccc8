"""Delivery under faults: a worker killed mid-batch, a channel the bot is not in, Slack's pace."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from bot.runtime import build_runtime, utcnow
from bot.slack.app import make_client
from bot.slack.delivery import DeliveryWorker
from tests.builders import FIT_LEAD, event
from tests.conftest import SALES_CHANNEL, make_settings
from tests.e2e.conftest import AUTH, serve_env, start_serve_process, start_server, wait_until
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import BOT_TOKEN


def _sql_batch(count: int) -> list[dict[str, Any]]:
    events = []
    for number in range(count):
        email = f"buyer{number}@acme.io"
        events += [event(email, lead=FIT_LEAD), event(email, "demo_request")]
    return events


def _cards_per_handoff(fake: FakeSlack) -> Counter[int]:
    return Counter(
        message["metadata"]["event_payload"]["handoff_id"]
        for message in fake.channel_messages(SALES_CHANNEL)
        if message.get("metadata")
    )


def test_worker_killed_mid_batch_then_restarted_posts_each_card_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.state.rate_per_second = 2  # slow enough to kill the worker with cards still queued
    process, url = start_serve_process(serve_env(database_url, fake_slack, HANDOFF_POST_RATE="2"), tmp_path)
    try:
        fake_slack.fail_next("chat.postMessage", delay=1.0, times=1)  # first post is in flight when killed
        httpx.post(f"{url}/v1/events", json=_sql_batch(6), headers=AUTH, timeout=10)
        wait_until(lambda: fake_slack.all_calls("chat.postMessage"), what="a post in flight")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    # A lease (60 s) outlives any request (10 s timeout): by the time another worker takes the entry
    # over, Slack has finished with the post that was in flight.
    wait_until(lambda: fake_slack.all_calls("chat.postMessage")[0].response, what="the post in flight")

    runtime = build_runtime(
        make_settings(
            database_url, slack_bot_token=BOT_TOKEN, post_rate=50, slack_api_url=fake_slack.base_url
        )
    )
    later = DeliveryWorker(
        runtime=runtime, client=make_client(runtime), now=lambda: utcnow() + timedelta(minutes=2)
    )  # the dead worker's lease is over
    wait_until(
        lambda: (later.run_once(), len(_cards_per_handoff(fake_slack)) == 6)[1],
        timeout=20,
        what="every card delivered",
    )
    runtime.close()

    assert sorted(_cards_per_handoff(fake_slack).values()) == [1] * 6


def test_card_for_a_channel_without_the_bot_is_parked_then_sent_after_restart(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.set_channel(SALES_CHANNEL, bot_is_member=False)
    served = start_server(database_url, fake_slack)
    httpx.post(f"{served.url}/v1/events", json=_sql_batch(1), headers=AUTH)

    wait_until(
        lambda: 'handoff_outbox_entries{status="parked"} 1.0' in httpx.get(f"{served.url}/metrics").text,
        what="the card to be parked",
    )
    served.stop()
    served.runtime.close()
    fake_slack.set_channel(SALES_CHANNEL, bot_is_member=True)  # someone invited the bot

    restarted = start_server(database_url, fake_slack)
    try:
        wait_until(lambda: _cards_per_handoff(fake_slack), what="the card after the restart")
        assert 'handoff_outbox_entries{status="sent"} 1.0' in httpx.get(f"{restarted.url}/metrics").text
    finally:
        restarted.stop()
        restarted.runtime.close()


def test_cards_go_out_at_the_channel_pace_without_hitting_slacks_limit(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.state.rate_per_second = 5
    served = start_server(database_url, fake_slack, post_rate=4)
    try:
        httpx.post(f"{served.url}/v1/events", json=_sql_batch(8), headers=AUTH)
        wait_until(lambda: sum(_cards_per_handoff(fake_slack).values()) == 8, timeout=20, what="8 cards")
    finally:
        served.stop()
        served.runtime.close()

    times = [call.at for call in fake_slack.calls("chat.postMessage")]
    assert fake_slack.rate_limited == 0
    assert times[-1] - times[0] >= 7 / 4 - 0.1  # 8 posts at 4 per second span at least 1.75 s

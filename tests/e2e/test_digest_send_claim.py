"""``handoff digest --send`` claims its week exactly as the scheduler does: one digest per week."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.errors import SlackApiError

from bot.entrypoints.jobs import due_week, weekly_digest
from bot.runtime import build_runtime, utcnow
from bot.slack.app import make_client
from bot.slack.digest_post import STALE_CLAIM, post_digest
from tests.conftest import SALES_CHANNEL, make_settings
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import BOT_TOKEN


def _digests(fake: FakeSlack) -> list[dict[str, object]]:
    return [
        message
        for message in fake.channel_messages(SALES_CHANNEL)
        if not message.get("thread_ts") and str(message.get("text", "")).startswith("MQL quality")
    ]


def test_two_digest_sends_at_once_post_one_digest_and_the_scheduler_none(
    database_url: str, fake_slack: FakeSlack, cli_env: Path
) -> None:
    settings = make_settings(database_url, slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.base_url)
    week = due_week(utcnow(), settings.zone, *settings.digest_day_and_time)
    command = [sys.executable, "-m", "bot", "digest", "--send", "--week-of", week.isoformat()]
    sends = [
        subprocess.Popen(
            command, cwd=cli_env, env=dict(os.environ), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for _ in range(2)
    ]
    outputs = [send.communicate(timeout=120) for send in sends]

    assert [send.returncode for send in sends] == [0, 0], outputs
    said = sorted(out.decode() for out, _ in outputs)
    assert sum("(ts " in text for text in said) == 1
    assert sum("already posted" in text for text in said) == 1
    assert len(_digests(fake_slack)) == 1

    runtime = build_runtime(settings)
    try:
        weekly_digest(runtime, make_client(runtime))  # the scheduler, due for the same week
    finally:
        runtime.close()
    assert len(_digests(fake_slack)) == 1


def test_a_digest_whose_answer_was_lost_is_found_not_posted_again_by_whoever_takes_over(
    database_url: str, fake_slack: FakeSlack
) -> None:
    settings = make_settings(database_url, slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.base_url)
    runtime = build_runtime(settings)
    week = due_week(utcnow(), settings.zone, *settings.digest_day_and_time)
    fake_slack.fail_next("chat.postMessage", status=500, after_store=True)
    try:
        with pytest.raises(SlackApiError):
            post_digest(runtime=runtime, client=make_client(runtime), week_of=week, now=utcnow(), claim=True)
        later = utcnow() + STALE_CLAIM + timedelta(minutes=1)  # the claim is taken over
        again = post_digest(runtime=runtime, client=make_client(runtime), week_of=week, now=later, claim=True)
        with runtime.uow() as uow:
            posted = uow.digests.posted(week_start=week, channel=SALES_CHANNEL)
    finally:
        runtime.close()

    assert again is None
    assert posted
    assert len(_digests(fake_slack)) == 1

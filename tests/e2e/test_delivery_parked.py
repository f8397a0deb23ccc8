"""What needs a person: parked entries retried on a slow schedule, the admin told once, in Slack and
in the log, across replicas and restarts; a revoked token is only logged."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, serve_env, start_serve_process, wait_until
from tests.e2e.delivery_helpers import cards_per_handoff, delivery, sql_events
from tests.fakes.slack_api import FakeSlack

ADMIN = "UADMIN0001"


def _refused_posts(fake: FakeSlack) -> int:
    return sum(
        1
        for call in fake.all_calls("chat.postMessage")
        if call.params.get("channel") == SALES_CHANNEL and call.response.get("error") == "not_in_channel"
    )


@pytest.mark.slow
def test_a_parked_card_is_retried_on_the_slow_schedule_and_the_admin_told_once(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    fake_slack.set_channel(SALES_CHANNEL, bot_is_member=False)
    fake_slack.set_channel(ADMIN, name="admin-dm")  # a user id as channel: the app's DM with them
    env = serve_env(
        database_url,
        fake_slack,
        HANDOFF_ADMIN=ADMIN,
        HANDOFF_PARKED_RETRY_SECONDS="1",
        HANDOFF_SLACK_TIMEOUT_SECONDS="2",
        HANDOFF_DELIVERY_LEASE_SECONDS="4",  # the killed replica's claim runs out soon
    )
    log = tmp_path / "serve.log"
    first, url = start_serve_process(env, tmp_path, log=log)
    try:
        httpx.post(f"{url}/v1/events", json=sql_events(2), headers=AUTH, timeout=10)
        wait_until(lambda: _refused_posts(fake_slack) >= 4, timeout=30, what="parked cards retried twice")
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    replicas = [start_serve_process(env, tmp_path, log=log) for _ in range(2)]  # a restart, two replicas
    try:
        seen = _refused_posts(fake_slack)
        wait_until(lambda: _refused_posts(fake_slack) >= seen + 4, timeout=30, what="retries without restart")
        fake_slack.set_channel(SALES_CHANNEL, bot_is_member=True)  # someone invited the bot
        wait_until(
            lambda: len(cards_per_handoff(fake_slack)) == 2, timeout=30, what="the parked cards posted"
        )
        metrics = httpx.get(f"{replicas[0][1]}/metrics", timeout=10).text
    finally:
        for process, _ in replicas:
            process.send_signal(signal.SIGTERM)
        for process, _ in replicas:
            process.wait(20)

    notices = fake_slack.channel_messages(ADMIN)
    assert len(notices) == 1
    assert "/invite" in notices[0]["text"]
    logged = [line for line in log.read_text().splitlines() if " ERROR " in line and "needs a person" in line]
    assert len(logged) == 1
    assert sorted(cards_per_handoff(fake_slack).values()) == [1, 1]
    assert 'handoff_outbox_entries{status="parked"} 0.0' in metrics


def test_a_revoked_token_is_logged_once_and_not_told_in_slack(
    database_url: str, fake_slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake_slack.set_channel(ADMIN, name="admin-dm")
    with delivery(database_url, fake_slack, admin=ADMIN, parked_retry_seconds=1) as run:
        run.ingest_sqls(1)
        with fake_slack.state.lock:
            fake_slack.state.tokens.clear()  # the app was uninstalled
        with caplog.at_level(logging.ERROR, logger="bot.slack.delivery"):
            run.run_until(
                lambda: len(fake_slack.all_calls("chat.postMessage")) >= 3, timeout=20, what="parked retries"
            )

        assert run.outbox()["parked"] == 1
        assert run.counter("handoff_outbox_parked_total", kind="handoff_card") >= 3
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert len(errors) == 1
    assert "SLACK_BOT_TOKEN" in errors[0]
    assert fake_slack.channel_messages(ADMIN) == []


def test_a_card_for_a_channel_shared_with_another_organisation_is_parked_and_never_posted(
    database_url: str, fake_slack: FakeSlack
) -> None:
    fake_slack.set_channel(ADMIN, name="admin-dm")
    with fake_slack.state.lock:
        fake_slack.state.channels[SALES_CHANNEL]["is_ext_shared"] = True  # Slack Connect
    with delivery(database_url, fake_slack, admin=ADMIN, parked_retry_seconds=1) as run:
        run.ingest_sqls(1)
        run.run_until(lambda: run.outbox().get("parked") == 1, timeout=20, what="the card parked")
        run.run_until(lambda: fake_slack.channel_messages(ADMIN), timeout=20, what="the admin told")

    assert [call.params.get("channel") for call in fake_slack.all_calls("chat.postMessage")] == [ADMIN]
    notices = fake_slack.channel_messages(ADMIN)
    assert len(notices) == 1
    assert "Slack Connect" in notices[0]["text"]

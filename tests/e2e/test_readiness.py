"""/readyz against the fake Slack: a configuration a person must fix makes the service unready with
the reason; Slack being down or slow never does (the outbox rides it out), it is reported beside."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from slack_sdk import WebClient
from typer.testing import CliRunner

from bot.entrypoints.api import create_app
from bot.entrypoints.cli import app as cli
from bot.entrypoints.readiness import SlackReadiness
from bot.runtime import Runtime
from bot.slack.channel_guard import ChannelGuard, SlackUnreachable
from tests.conftest import SALES_CHANNEL
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import BOT_TOKEN

CONNECT_FLAGS = [{"is_ext_shared": True, "is_shared": True}, {"is_pending_ext_shared": True}]


def readyz(runtime: Runtime, fake_slack: FakeSlack, *, channel: str | None = SALES_CHANNEL) -> dict:  # type: ignore[type-arg]
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.base_url, timeout=5, retry_handlers=[])
    readiness = SlackReadiness(client, channel=channel, cache_seconds=0, wait_seconds=1)
    with TestClient(create_app(runtime, slack_check=readiness)) as test_client:
        answer = test_client.get("/readyz")
    readiness.close()
    return {"status": answer.status_code} | answer.json()


def test_ready_when_the_channel_is_right(runtime: Runtime, fake_slack: FakeSlack) -> None:
    answer = readyz(runtime, fake_slack)

    assert answer == {
        "status": 200,
        "ready": True,
        "checks": {"database": "ok", "configuration": "ok", "slack": "ok"},
    }


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("unset", "HANDOFF_SALES_CHANNEL is not set"),
        ("unknown", "channel_not_found"),
        ("not a member", "/invite the bot"),
        ("archived", "is archived"),
    ],
)
def test_unready_with_the_reason_when_the_channel_is_wrong(
    runtime: Runtime, fake_slack: FakeSlack, change: str, words: str
) -> None:
    channel: str | None = SALES_CHANNEL
    if change == "unset":
        channel = None
    elif change == "unknown":
        channel = "C0GONE0001"
    elif change == "not a member":
        fake_slack.set_channel(SALES_CHANNEL, bot_is_member=False)
    else:
        fake_slack.state.channels[SALES_CHANNEL]["is_archived"] = True

    answer = readyz(runtime, fake_slack, channel=channel)

    assert answer["status"] == 503
    assert answer["ready"] is False
    assert words in answer["checks"]["configuration"]


@pytest.mark.parametrize("flags", CONNECT_FLAGS)
def test_unready_when_the_sales_channel_is_shared_with_another_organisation(
    runtime: Runtime, fake_slack: FakeSlack, flags: dict[str, bool]
) -> None:
    fake_slack.state.channels[SALES_CHANNEL].update(flags)

    answer = readyz(runtime, fake_slack)

    assert answer["status"] == 503
    assert "shared with another organisation (Slack Connect)" in answer["checks"]["configuration"]


def test_channel_shared_between_workspaces_of_one_organisation_is_fine(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.state.channels[SALES_CHANNEL].update(is_shared=True, is_org_shared=True)

    assert readyz(runtime, fake_slack)["status"] == 200


def test_slack_outage_is_reported_but_the_service_stays_ready(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("conversations.info", status=503)

    answer = readyz(runtime, fake_slack)

    assert answer["status"] == 200
    assert answer["ready"] is True
    assert answer["checks"]["slack"].startswith("unreachable: Slack answered 503")


def test_a_token_revoked_at_run_time_is_reported_but_events_are_still_taken_in(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    with fake_slack.state.lock:
        fake_slack.state.tokens.clear()  # the app was uninstalled while serve runs

    answer = readyz(runtime, fake_slack)

    assert answer["status"] == 200
    assert answer["checks"]["configuration"] == "ok"
    assert answer["checks"]["slack"].startswith("refused: Slack answered invalid_auth")


def test_slack_that_does_not_answer_in_time_leaves_the_service_ready(
    runtime: Runtime, fake_slack: FakeSlack
) -> None:
    fake_slack.fail_next("conversations.info", delay=3)

    answer = readyz(runtime, fake_slack)

    assert answer["status"] == 200
    assert answer["checks"]["slack"] == "unreachable: no answer in 1 s"


def test_slack_answer_is_remembered_between_probes(runtime: Runtime, fake_slack: FakeSlack) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.base_url, timeout=5, retry_handlers=[])
    readiness = SlackReadiness(client, channel=SALES_CHANNEL, cache_seconds=3600, wait_seconds=5)
    with TestClient(create_app(runtime, slack_check=readiness)) as test_client:
        answers = [test_client.get("/readyz").status_code for _ in range(5)]
    readiness.close()

    assert answers == [200] * 5
    assert len(fake_slack.all_calls("conversations.info")) == 1


@pytest.mark.parametrize("flags", CONNECT_FLAGS)
def test_check_refuses_a_sales_channel_shared_with_another_organisation(
    cli_env: Path, fake_slack: FakeSlack, flags: dict[str, bool]
) -> None:
    fake_slack.state.channels[SALES_CHANNEL].update(flags)

    result = CliRunner().invoke(cli, ["check"])

    assert result.exit_code == 1
    line = next(line for line in result.output.splitlines() if "sales channel" in line)
    assert "✗" in line
    assert "shared with another organisation (Slack Connect), so lead data is never posted there" in line


def test_channel_guard_for_delivery_remembers_verdicts_but_not_outages(fake_slack: FakeSlack) -> None:
    client = WebClient(token=BOT_TOKEN, base_url=fake_slack.base_url, timeout=5, retry_handlers=[])
    now = [0.0]
    guard = ChannelGuard(client, cache_seconds=30, clock=lambda: now[0])
    fake_slack.fail_next("conversations.info", status=500)

    with pytest.raises(SlackUnreachable):
        guard.problem(SALES_CHANNEL)
    first = guard.problem(SALES_CHANNEL)
    fake_slack.state.channels[SALES_CHANNEL]["is_ext_shared"] = True
    remembered = guard.problem(SALES_CHANNEL)
    now[0] = 31.0
    later = guard.problem(SALES_CHANNEL)

    assert (first, remembered) == (None, None)
    assert later is not None
    assert "Slack Connect" in later
    assert len(fake_slack.all_calls("conversations.info")) == 3

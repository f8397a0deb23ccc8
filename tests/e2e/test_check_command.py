"""``handoff check`` against the fake Slack: what is right, and what is wrong in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from tests.conftest import SALES_CHANNEL
from tests.fakes.slack_api import FakeSlack


@pytest.fixture
def env(cli_env: Path) -> None:
    """Every test here runs ``handoff check`` in a prepared environment."""


def test_check_passes_when_everything_is_in_place(env: None) -> None:
    result = CliRunner().invoke(app, ["check"])

    assert result.exit_code == 0, result.output
    assert "✓ slack token connected to Acme" in result.output
    assert "✓ sales channel #sales reachable" in result.output


def test_check_says_the_bot_must_be_invited(env: None, fake_slack: FakeSlack) -> None:
    fake_slack.set_channel(SALES_CHANNEL, bot_is_member=False)

    result = CliRunner().invoke(app, ["check"])

    assert result.exit_code == 1
    assert "/invite the bot" in result.output


def test_check_reports_a_revoked_token(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-revoked-0000000000")

    result = CliRunner().invoke(app, ["check"])

    assert result.exit_code == 1
    assert "invalid_auth" in result.output


def test_check_reads_the_routing_and_webhooks_files_and_each_routes_channel(
    env: None, fake_slack: FakeSlack, cli_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routing, hooks = cli_env / "routing.yaml", cli_env / "webhooks.yaml"
    routing.write_text(
        "teams: {core: {members: [{user: U0ANA}]}}\n"
        "routes: [{name: emea, channel: C0EMEA0001, team: core}, {name: rest, channel: C0SALES001}]\n",
        encoding="utf-8",
    )
    hooks.write_text(
        "endpoints: [{name: crm, url: 'https://crm.example.com/h', secret_env: NOPE_UNSET}]\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("HANDOFF_ROUTING", str(routing))
    monkeypatch.setenv("HANDOFF_WEBHOOKS", str(hooks))
    fake_slack.set_channel("C0EMEA0001", bot_is_member=False, name="sales-emea")

    result = CliRunner().invoke(app, ["check"])

    assert result.exit_code == 1
    assert "✓ routing 2 routes to 2 channels; 1 teams, 1 reps" in result.output
    assert "endpoints[0].secret_env: NOPE_UNSET: the secret is empty or unset" in result.output
    assert "channel of route emea" in result.output
    assert "/invite the bot" in result.output
    assert "invite U0ANA to C0EMEA0001 (route emea)" in result.output

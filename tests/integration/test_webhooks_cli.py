"""``handoff webhooks list|replay``: what was queued for each endpoint, and sending one again."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.entrypoints.cli import app as cli
from bot.runtime import build_runtime
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import make_settings
from tests.fakes.webhook_receiver import secret_for_tests


def test_the_queued_messages_are_listed_by_endpoint_and_one_can_be_sent_again(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = tmp_path / "webhooks.yaml"
    hooks.write_text(
        "endpoints:\n"
        f"  - {{name: crm, url: 'http://127.0.0.1:1/hooks', secret: {secret_for_tests()},\n"
        "      events: [lead.stage_changed]}\n",
        encoding="utf-8",
    )
    runtime = build_runtime(make_settings(database_url, webhooks=hooks))
    try:
        runtime.ingest(parsed(event(lead=FIT_LEAD), event(type="demo_request")))
    finally:
        runtime.close()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_WEBHOOKS", str(hooks))

    listed = CliRunner().invoke(cli, ["webhooks", "list"])

    assert listed.exit_code == 0, listed.output
    assert "crm http://127.0.0.1:1/hooks: " in listed.output
    assert "pending" in listed.output
    assert "lead.stage_changed" in listed.output
    assert "handoff.posted" not in listed.output  # the endpoint takes stage changes only
    first = next(word for word in listed.output.split() if word.startswith("msg_handoff_"))
    again = CliRunner().invoke(cli, ["webhooks", "replay", first])
    assert again.exit_code == 0, again.output
    assert f"{first} is queued again" in again.output
    unknown = CliRunner().invoke(cli, ["webhooks", "replay", "msg_handoff_999999"])
    assert unknown.exit_code == 2
    assert "no webhook message msg_handoff_999999" in unknown.output

"""Account owners: imported from a CSV file (CLI) or the HTTP API, and a route that gives a lead of
that domain to its owner, on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from bot.entrypoints.api import create_app
from bot.entrypoints.cli import app as cli
from bot.runtime import build_runtime
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import API_TOKEN, SALES_CHANNEL, make_settings

ROUTING = f"""
teams:
  core:
    members: [{{user: U0CAL}}]
    hours: {{days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "23:59"}}
routes:
  - name: owners
    account_owner: true
    channel: C0OWNERS1
  - name: everyone
    channel: {SALES_CHANNEL}
    team: core
"""


def test_a_lead_of_an_owned_account_goes_to_its_owner_and_others_take_turns(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    owners = tmp_path / "owners.csv"
    owners.write_text("domain,owner\nacme.io,U0ANA\ngmail.com,U0BEN\n", encoding="utf-8")

    imported = CliRunner().invoke(cli, ["accounts", "import", str(owners)])

    assert imported.exit_code == 1, imported.output
    assert "1 account owners stored" in imported.output
    assert "line 3" in imported.output
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING, encoding="utf-8")
    runtime = build_runtime(make_settings(database_url, routing=routing))
    try:
        for email in ("ana@acme.io", "bo@other.io"):
            runtime.ingest(parsed(event(email, lead=FIT_LEAD), event(email, "demo_request")))
        with runtime.read_uow() as uow:
            held = {
                lead: [(h.assignee, h.route) for h in uow.handoffs.for_lead(uow.leads.by_email(lead).id)]  # type: ignore[union-attr]
                for lead in ("ana@acme.io", "bo@other.io")
            }
    finally:
        runtime.close()
    assert held == {"ana@acme.io": [("U0ANA", "owners")], "bo@other.io": [("U0CAL", "everyone")]}


def test_the_api_stores_owners_and_refuses_a_bad_list_naming_each_item(database_url: str) -> None:
    runtime = build_runtime(make_settings(database_url))
    headers = {"Authorization": f"Bearer {API_TOKEN}"}
    try:
        with TestClient(create_app(runtime)) as client:
            bad = client.post("/v1/accounts", json=[{"domain": "acme.io", "owner": "ana"}], headers=headers)
            good = client.post(
                "/v1/accounts", json=[{"domain": "Acme.io", "owner": "U0ANA"}], headers=headers
            )
            again = client.post(
                "/v1/accounts", json=[{"domain": "acme.io", "owner": "U0BEN"}], headers=headers
            )
        with runtime.read_uow() as uow:
            owner = uow.assignments.owner_of("acme.io")
    finally:
        runtime.close()
    assert bad.status_code == 422
    assert bad.json()["detail"] == ["item 0: the owner must be a Slack user id such as U0123ABCD, not 'ana'"]
    assert good.json() == {"stored": 1, "accounts_with_owner": 1}
    assert again.json() == {"stored": 1, "accounts_with_owner": 1}
    assert owner == "U0BEN"

"""``handoff serve`` with HANDOFF_LOG_FORMAT=json: every line it writes is one JSON object, from
every logger, and no lead email or Slack request body reaches the log, even on a database error."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.builders import event
from tests.e2e.conftest import AUTH, serve_env, start_serve_process, stop_process
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import signed

EMAIL = "ana.private@acme.io"
BODY_MARKER = "confidential-request-body"


def test_json_logs_parse_line_by_line_and_carry_no_lead_data(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    log = tmp_path / "serve.log"
    env = serve_env(database_url, fake_slack, HANDOFF_LOG_FORMAT="json")
    process, url = start_serve_process(env, tmp_path, output=log)
    try:
        sent = httpx.post(f"{url}/v1/events", json=[event(email=EMAIL)], headers=AUTH, timeout=10)
        body, headers = signed(f"user_email={EMAIL}&text={BODY_MARKER}", secret="another-secret-0123456789")
        forged = httpx.post(f"{url}/slack/events", content=body, headers=headers, timeout=10)
        found = httpx.get(f"{url}/v1/leads/{EMAIL}", headers=AUTH, timeout=10)
        drop_leads_table(database_url)
        broken = httpx.get(f"{url}/v1/leads/{EMAIL}", headers=AUTH, timeout=10)
    finally:
        stop_process(process)

    assert (sent.status_code, forged.status_code, found.status_code) == (200, 401, 200)
    assert broken.status_code == 503
    assert EMAIL not in broken.text
    output = log.read_text()
    records = [json.loads(line) for line in output.splitlines() if line.strip()]
    assert EMAIL not in output
    assert EMAIL.replace("@", "%40") not in output
    assert BODY_MARKER not in output
    loggers = {record["logger"] for record in records}
    assert {"uvicorn.error", "uvicorn.access", "apscheduler.scheduler"} <= loggers
    messages = [record["message"] for record in records]
    assert any("/v1/leads/<redacted>" in message for message in messages)
    failure = next(record for record in records if record["message"].startswith("GET /v1/leads/{email}: "))
    assert "leads" in failure["message"]
    assert "[SQL parameters hidden" in failure["exc_info"]
    assert not any("`token` will be unused" in message for message in messages)


def drop_leads_table(database_url: str) -> None:
    """A table gone from under the running service (a bad manual migration, a restore gone wrong)."""
    engine = create_engine(database_url)
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE leads{cascade}"))
    engine.dispose()

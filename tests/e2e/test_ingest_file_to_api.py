"""End to end: ``handoff serve`` as a real process, ``handoff ingest`` of a generated file, then the API."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.terminal.sample import generate_events
from tests.builders import FIT_LEAD, event
from tests.conftest import API_TOKEN
from tests.e2e.conftest import serve_env, start_serve_process, wait_until
from tests.fakes.slack_api import FakeSlack

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def env(database_url: str, fake_slack: FakeSlack) -> dict[str, str]:
    return serve_env(database_url, fake_slack)


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    process, url = start_serve_process(env, tmp_path)
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ingest(path: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "ingest", str(path)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _sql_leads(metrics: str) -> float:
    found = re.search(r'handoff_leads\{stage="sql"\} (\S+)', metrics)
    return float(found.group(1)) if found else 0.0


def test_generated_file_ingested_twice_then_lead_explained_over_http(
    server: str, env: dict[str, str], tmp_path: Path, fake_slack: FakeSlack
) -> None:
    source = tmp_path / "events.jsonl"
    events = list(generate_events(leads=200, events=2998, now=datetime.now(UTC), seed=11))
    events += [event(lead=FIT_LEAD), event(type="demo_request")]
    source.write_text("".join(json.dumps(item) + "\n" for item in events))

    first = _ingest(source, env, tmp_path)
    sqls_after_first = _sql_leads(httpx.get(f"{server}/metrics").text)
    second = _ingest(source, env, tmp_path)

    assert first.returncode == 0, first.stdout + first.stderr
    assert re.search(r"accepted\s+3000", first.stdout)
    assert re.search(r"accepted\s+0", second.stdout)
    assert re.search(r"duplicates\s+3000", second.stdout)
    assert sqls_after_first > 0
    assert _sql_leads(httpx.get(f"{server}/metrics").text) == sqls_after_first
    answer = httpx.get(f"{server}/v1/leads/ana@acme.io", headers=AUTH)
    assert answer.status_code == 200
    lead = answer.json()
    assert lead["stage"] == "sql"
    assert lead["stage_changes"][-1]["reason"] == "hand raised: demo_request"
    assert {"hand_raise_demo", "seniority_vp"} <= set(lead["score"]["top"])
    wait_until(
        lambda: len(fake_slack.calls("chat.postMessage")) >= sqls_after_first,
        timeout=30,
        what="one card per SQL",
    )
    time.sleep(0.3)  # room for a duplicate to show up
    assert len(fake_slack.calls("chat.postMessage")) == sqls_after_first
    assert fake_slack.invalid_blocks == []
    assert lead["score"]["total"] == pytest.approx(
        lead["score"]["fit"] + lead["score"]["engagement"], abs=0.1
    )
    assert lead["score"]["contributions"], "the score is explained rule by rule"

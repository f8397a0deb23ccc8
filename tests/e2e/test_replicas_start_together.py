"""Several replicas started at the same moment on an empty PostgreSQL database all come up."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from storage.migrate import head_revision
from tests.e2e.conftest import launch_serve_process, serve_env, stop_process, wait_for_serve
from tests.fakes.slack_api import FakeSlack

REPLICAS = 3


@pytest.mark.postgres
def test_three_replicas_starting_together_migrate_once_and_all_become_ready(
    empty_postgres_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = serve_env(empty_postgres_url, fake_slack)
    logs = [tmp_path / f"replica-{n}.log" for n in range(REPLICAS)]
    started = [launch_serve_process(env, tmp_path, output=log) for log in logs]
    try:
        for process, url in started:
            wait_for_serve(process, url, timeout=60)
        answers = [httpx.get(f"{url}/readyz", timeout=10) for _, url in started]
    finally:
        for process, _ in started:
            stop_process(process)

    assert [answer.status_code for answer in answers] == [200] * REPLICAS, [a.text for a in answers]
    assert all(answer.json()["ready"] for answer in answers)
    engine = create_engine(empty_postgres_url)
    with engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    engine.dispose()
    assert versions == [head_revision()]
    assert not any("Traceback" in log.read_text() for log in logs)

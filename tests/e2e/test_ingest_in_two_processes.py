"""`handoff ingest` of 24,000 events scores them in two processes (the command and a worker it
forks), and ends as scoring in one process does: the same summary, the same stages and stage-change
history, the same cards queued, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from storage.outbox import HANDOFF_CARD
from storage.tables import OutboxRow
from tests.e2e.test_cli_failures import handoff_env
from tests.e2e.test_counts_agree import fresh_databases, stored, summary
from tests.integration.test_scorer_window import NOW, _events

LEADS = 4000  # six events each: 24,000, more than two parts of 10,000


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` now."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # ended meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _ingest(url: str, events: Path, folder: Path, *, workers: int) -> tuple[str, set[int]]:
    """Run `handoff ingest` (one batch: the file is not read ahead by a worker of its own); its
    output, and the child processes seen while it ran."""
    clock = folder / "clock"
    clock.write_text((NOW + timedelta(minutes=5)).isoformat())
    env = handoff_env(
        COLUMNS="200",
        HANDOFF_DATABASE_URL=url,
        HANDOFF_SCORER_WORKERS=str(workers),
        HANDOFF_CLOCK_FILE=str(clock),
    )
    output = folder / f"out-{workers}.txt"
    with output.open("w") as out:
        command = [sys.executable, "-m", "bot", "ingest", str(events), "--batch-size", "50000"]
        process = subprocess.Popen(command, env=env, cwd=folder, stdout=out, stderr=subprocess.STDOUT)
        seen: set[int] = set()
        deadline = time.monotonic() + 300
        while process.poll() is None and time.monotonic() < deadline:
            seen |= _children(process.pid)
            time.sleep(0.01)
        assert process.wait(timeout=60) == 0, output.read_text()
    return output.read_text(), seen


def _cards(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as connection:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == HANDOFF_CARD)
        count = int(connection.execute(query).scalar_one())
    engine.dispose()
    return count


@pytest.mark.slow
@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="a second process needs a second core")
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_ingest_scores_a_large_file_in_two_processes_as_one_process_would(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    events = tmp_path / "events.jsonl"
    events.write_text("".join(json.dumps(item) + "\n" for item in _events("lead", LEADS)))

    with fresh_databases(kind, tmp_path, request) as (two, one, _):
        in_two, forked = _ingest(two, events, tmp_path, workers=2)
        in_one, not_forked = _ingest(one, events, tmp_path, workers=1)

        assert forked  # the scorer's worker
        assert not not_forked
        assert summary(in_two) == summary(in_one)
        assert summary(in_two)["accepted"] == 6 * LEADS
        assert stored(two) == stored(one)
        assert _cards(two) == _cards(one) > 0

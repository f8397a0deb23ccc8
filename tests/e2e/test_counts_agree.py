"""Every count agrees: the demo, `handoff ingest` of the demo's own events at any batch size, the
stages stored, `handoff lead` and `handoff digest` week by week (in the weeks the events happened,
not the week they were imported), on SQLite and on PostgreSQL."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from bot.entrypoints.cli import app as cli
from storage.tables import LeadRow, StageChangeRow
from tests.conftest import postgres_schema
from tests.e2e.test_cli_failures import handoff_env, run_handoff

BATCH_SIZES = (4000, 2000, 1)
SUMMARY_ROWS = ("accepted", "new MQL", "back in nurture", "new SQL", "new EXPIRED", "hand-raise below fit")
DIGEST_ROWS = {
    "New MQLs": "mqls",
    "SQLs": "sqls",
    "Hand-raise below fit": "below_fit",
    "Expired MQLs": "expired",
}


@contextmanager
def fresh_databases(kind: str, folder: Path, request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Three empty databases: SQLite files, or PostgreSQL schemas of their own (dropped after)."""
    if kind == "sqlite":
        yield [f"sqlite:///{folder / f'db{size}.sqlite'}" for size in BATCH_SIZES]
        return
    database = request.getfixturevalue("postgres_database")
    with ExitStack() as schemas:
        yield [schemas.enter_context(postgres_schema(database, "handoff_counts")) for _ in BATCH_SIZES]


def handoff(args: list[str], folder: Path, url: str | None = None) -> str:
    env = handoff_env(COLUMNS="200", **({"HANDOFF_DATABASE_URL": url} if url else {}))
    done = run_handoff(args, env, folder)
    assert done.returncode == 0, done.stderr
    return done.stdout


def summary(output: str) -> dict[str, int]:
    """The ingest summary's counts (a row it leaves out is zero)."""
    found = {
        name: int(m.group(1)) for name in SUMMARY_ROWS if (m := re.search(rf"^ *{name} +(\d+)", output, re.M))
    }
    return {name: found.get(name, 0) for name in SUMMARY_ROWS}


def stages_said_by_demo(output: str) -> dict[str, int]:
    line = re.search(r"^Leads by stage: (.*)$", output, re.M)
    assert line is not None
    return {stage: int(count) for stage, count in (part.split() for part in line.group(1).split(", "))}


def stored(url: str) -> tuple[dict[str, int], list[tuple[str, str, str, str, datetime]]]:
    """The leads by stage and every stage change, as stored."""
    engine = create_engine(url)
    with engine.connect() as connection:
        stages = dict(connection.execute(select(LeadRow.stage, func.count()).group_by(LeadRow.stage)).all())
        history = connection.execute(
            select(
                LeadRow.email,
                StageChangeRow.from_stage,
                StageChangeRow.to_stage,
                StageChangeRow.cause,
                StageChangeRow.changed_at,
            )
            .join(LeadRow, LeadRow.id == StageChangeRow.lead_id)
            .order_by(LeadRow.email, StageChangeRow.changed_at, StageChangeRow.id)
        ).all()
    engine.dispose()
    return stages, [tuple(row) for row in history]


def digest_week(folder: Path, url: str, monday: date) -> Counter[str]:
    """The headline counts `handoff digest --week-of` prints for one week (in-process: the same
    command, without a Python start-up per week)."""
    chart = folder / f"chart-{monday}.png"
    env = handoff_env(COLUMNS="200", HANDOFF_DATABASE_URL=url)
    done = CliRunner().invoke(
        cli, ["digest", "--week-of", monday.isoformat(), "--chart", str(chart)], env=env
    )
    assert done.exit_code == 0, done.output
    output = done.stdout
    counts: Counter[str] = Counter()
    for label, key in DIGEST_ROWS.items():
        match = re.search(rf"^ *{label} +(\d+)", output, re.M)
        counts[key] = int(match.group(1)) if match else 0
    return counts


def event_mondays(path: Path) -> list[date]:
    days = {datetime.fromisoformat(json.loads(line)["occurred_at"]).date() for line in path.open()}
    first = min(days) - timedelta(days=min(days).weekday())
    return [first + timedelta(weeks=n) for n in range((max(days) - first).days // 7 + 1)]


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_demo_ingest_at_any_batch_size_lead_and_digest_agree_on_every_count(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind == "postgres":
        request.getfixturevalue("postgres_available")
    demo = handoff(["demo", "--leads", "60", "--events", "600", "--save-events", "s.jsonl"], tmp_path)
    said = summary(demo)
    assert said["new SQL"] > 0
    with fresh_databases(kind, tmp_path, request) as urls:
        with ThreadPoolExecutor(max_workers=len(BATCH_SIZES)) as pool:
            ingested = list(
                pool.map(
                    lambda size, url: handoff(
                        ["ingest", "s.jsonl", "--batch-size", str(size)], tmp_path, url
                    ),
                    BATCH_SIZES,
                    urls,
                )
            )
        states = [stored(url) for url in urls]

        assert [summary(output) for output in ingested] == [said] * len(BATCH_SIZES)
        assert all(state == states[0] for state in states)
        assert states[0][0] == stages_said_by_demo(demo)

        mondays = event_mondays(tmp_path / "s.jsonl")
        weeks = {monday: digest_week(tmp_path, urls[1], monday) for monday in mondays}
        total = sum(weeks.values(), Counter())
        assert total["mqls"] == said["new MQL"]
        assert total["sqls"] == said["new SQL"]
        assert total["below_fit"] == said["hand-raise below fit"]
        assert total["expired"] == said["new EXPIRED"]
        assert sum(1 for counts in weeks.values() if counts["sqls"]) > 1  # not all in the import week

        email, *_ = next(row for row in states[0][1] if row[2] == "sql")
        lead = json.loads(handoff(["lead", email, "--json"], tmp_path, urls[2]))
        moves = [(c["from_stage"], c["to_stage"]) for c in lead["stage_changes"]]
        assert moves == [(row[1], row[2]) for row in states[0][1] if row[0] == email]
        for change in lead["stage_changes"]:
            if change["to_stage"] == "sql":
                day = datetime.fromisoformat(change["changed_at"]).date()
                assert weeks[day - timedelta(days=day.weekday())]["sqls"] >= 1

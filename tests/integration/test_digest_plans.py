"""The digest's reads use their indexes (SQLite's plan, read with EXPLAIN QUERY PLAN): a digest
that silently scans every event of its window is many times slower at a million events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event

from bot.runtime import build_runtime
from storage.digest_queries import DigestQueries
from tests.conftest import make_settings


def test_the_outcome_counts_read_the_partial_index_of_outcome_events(tmp_path: Any) -> None:
    runtime = build_runtime(make_settings(f"sqlite:///{tmp_path / 'plans.db'}"))
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement, params))

    event.listen(runtime.engine, "before_cursor_execute", keep)
    monday = datetime(2026, 11, 16, tzinfo=UTC)
    weeks = [(monday - timedelta(weeks=n), monday - timedelta(weeks=n - 1)) for n in range(7, -1, -1)]
    try:
        with runtime.read_uow() as uow:
            DigestQueries(uow.session).outcome_counts(weeks)
        (statement, params), *_ = [(s, p) for s, p in seen if "closed_won" in s]
        with runtime.engine.connect() as connection:
            plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
    finally:
        runtime.close()
    assert any("ix_events_outcomes" in str(row) for row in plan), plan

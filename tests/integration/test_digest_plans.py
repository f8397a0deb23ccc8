"""The digest's reads use their indexes (SQLite's plan, read with EXPLAIN QUERY PLAN): a digest
that silently scans every event of its window is many times slower at a million events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from bot.runtime import build_runtime
from storage.calibration_queries import CalibrationQueries
from storage.digest_queries import DigestQueries
from tests.conftest import make_settings

MONDAY = datetime(2026, 11, 16, tzinfo=UTC)


def _plan(tmp_path: Any, read: Callable[[Session], object]) -> list[Any]:
    """SQLite's plan of the statement ``read`` runs that names an outcome event type."""
    runtime = build_runtime(make_settings(f"sqlite:///{tmp_path / 'plans.db'}"))
    seen: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement, params))

    event.listen(runtime.engine, "before_cursor_execute", keep)
    try:
        with runtime.read_uow() as uow:
            read(uow.session)
        (statement, params), *_ = [(s, p) for s, p in seen if "closed_won" in s]
        with runtime.engine.connect() as connection:
            return connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params).all()
    finally:
        runtime.close()


def test_the_outcome_counts_read_the_partial_index_of_outcome_events(tmp_path: Any) -> None:
    weeks = [(MONDAY - timedelta(weeks=n), MONDAY - timedelta(weeks=n - 1)) for n in range(7, -1, -1)]

    plan = _plan(tmp_path, lambda session: DigestQueries(session).outcome_counts(weeks))

    assert any("ix_events_outcomes" in str(row) for row in plan), plan


def test_the_rules_outcomes_look_only_at_leads_with_an_outcome_event(tmp_path: Any) -> None:
    window = (MONDAY - timedelta(weeks=8), MONDAY + timedelta(weeks=1))

    plan = _plan(tmp_path, lambda session: CalibrationQueries(session).rule_outcomes(window))

    assert any("ix_events_outcomes" in str(row) for row in plan), plan

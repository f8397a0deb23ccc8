"""Concurrent ingestion of overlapping batches, and migrations that match the tables."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, inspect, select

from bot.runtime import Runtime
from storage.migrate import current_revision, head_revision, upgrade
from storage.tables import Base, EventRow
from tests.builders import event, parsed


def test_concurrent_overlapping_batches_store_and_score_each_event_once(runtime: Runtime) -> None:
    emails = [f"rep{n}@acme.io" for n in range(5)]
    shared = [event(email, "email_click") for email in emails for _ in range(4)]
    batches = [parsed(*shared, *[event(email, "email_open") for email in emails]) for _ in range(4)]
    start = threading.Barrier(len(batches))

    def ingest(batch: list) -> int:  # type: ignore[type-arg]
        start.wait()
        return runtime.ingest(batch).accepted

    with ThreadPoolExecutor(max_workers=len(batches)) as pool:
        accepted = sum(pool.map(ingest, batches))

    assert accepted == len(shared) + 4 * len(emails)
    with runtime.uow() as uow:
        stored = uow.session.execute(select(func.count()).select_from(EventRow)).scalar_one()
        ledgers = [uow.leads.by_email(email).ledger for email in emails]  # type: ignore[union-attr]
    assert stored == accepted
    assert all(ledger["email_click"][0] == 4 and ledger["email_open"][0] == 4 for ledger in ledgers)


def test_migrations_create_exactly_the_mapped_tables(runtime: Runtime) -> None:
    with runtime.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)

    if runtime.engine.dialect.name == "postgresql":  # migrations 0010, 0013: SQLite alone keeps these keys
        differences = [d for d in differences if not _lead_key_dropped_on_postgres(d)]
    assert differences == []
    assert current_revision(runtime.engine) == head_revision()


def _lead_key_dropped_on_postgres(difference: tuple[Any, ...]) -> bool:
    kind, constraint = difference[0], difference[1]
    return (
        kind == "add_fk"
        and constraint.table.name in ("events", "lead_search_terms")
        and [column.name for column in constraint.columns] == ["lead_id"]
    )


@pytest.mark.parametrize("table", ["events", "lead_search_terms"])
def test_postgresql_keeps_no_key_from_events_or_search_terms_to_leads(runtime: Runtime, table: str) -> None:
    keys = inspect(runtime.engine).get_foreign_keys(table)

    expected = [] if runtime.engine.dialect.name == "postgresql" else [["lead_id"]]
    assert [key["constrained_columns"] for key in keys if key["referred_table"] == "leads"] == expected


def test_upgrade_twice_is_harmless(runtime: Runtime) -> None:
    assert upgrade(runtime.engine) == head_revision()

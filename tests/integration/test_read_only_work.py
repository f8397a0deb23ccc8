"""Read-only units of work: they never wait for a writer, and they cannot write."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import DBAPIError

from bot.runtime import Runtime
from scoring.types import Stage
from storage.leads import LeadState
from storage.uow import ReadOnlyWork

AT = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def test_a_lookup_does_not_wait_for_an_open_write_transaction(runtime: Runtime) -> None:
    with runtime.uow() as setup:
        setup.leads.create_missing(["ana@acme.io"], at=AT)
        setup.commit()
    seen: list[LeadState | None] = []
    with runtime.uow() as writer:
        writer.leads.create_missing(["ben@acme.io"], at=AT)  # holds SQLite's write lock until the end

        def look_up() -> None:
            with runtime.read_uow() as reader:
                seen.append(reader.leads.by_email("ana@acme.io"))
                seen.append(reader.leads.by_email("ben@acme.io"))

        reader_thread = threading.Thread(target=look_up)
        reader_thread.start()
        reader_thread.join(10)  # a write-locking BEGIN would wait 30 s for the writer's lock
        finished_while_writer_open = not reader_thread.is_alive()
        writer.commit()
    reader_thread.join(40)

    assert finished_while_writer_open
    assert [lead.email if lead else None for lead in seen] == ["ana@acme.io", None]  # ben uncommitted


def test_a_read_only_unit_refuses_to_commit_and_changes_nothing(runtime: Runtime, database_url: str) -> None:
    with runtime.uow() as setup:
        setup.leads.create_missing(["ana@acme.io"], at=AT)
        setup.commit()
    with runtime.read_uow() as reader:
        lead = reader.leads.by_email("ana@acme.io")
        assert lead is not None
        if database_url.startswith("postgresql"):  # PostgreSQL refuses the write itself
            with pytest.raises(DBAPIError, match="read-only transaction"):
                reader.leads.mark_all_underived()
        else:
            reader.leads.mark_all_underived()
            with pytest.raises(ReadOnlyWork):
                reader.commit()

    with runtime.uow() as uow:
        assert uow.leads.by_email("ana@acme.io").stage is Stage.LEAD  # type: ignore[union-attr]

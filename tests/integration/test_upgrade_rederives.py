"""Upgrading a database from before the event log re-derives every lead's history once, in event
time, keeping what already happened in Slack: posted cards and decisions stay, no card twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, MetaData, Table, insert, select
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from bot.runtime import build_runtime
from storage.database import make_engine
from storage.migrate import alembic_config
from storage.tables import HandoffRow, LeadRow, OutboxRow, StageChangeRow
from tests.conftest import make_settings

NOW = datetime.now(UTC).replace(microsecond=0)
IMPORTED = NOW - timedelta(days=9)  # when the old code ingested everything: it dated stages then
VP = {"name": "Ana Ruiz", "company": "Acme", "title": "VP Sales", "industry": "Software", "company_size": 250}


def _old_database(engine: Engine, url: str) -> None:
    """A database at revision 0005 as the old code left it after importing a month of events."""
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    lead_columns = {
        "stage": "accepted",
        "score": 90.0,
        "fit": 42.0,
        "engagement": 48.0,
        "disqualified": False,
    }
    with engine.begin() as connection:
        ana = _insert(
            connection,
            "leads",
            email="ana@acme.io",
            email_domain="acme.io",
            **VP,
            **lead_columns,
            ledger={},
            created_at=IMPORTED,
            scored_at=IMPORTED,
        )
        bo = _insert(
            connection,
            "leads",
            email="bo@beta.io",
            email_domain="beta.io",
            title="Head of Sales",
            industry="Software",
            company_size=300,
            stage="mql",
            score=55.0,
            fit=37.0,
            engagement=18.0,
            disqualified=False,
            ledger={},
            created_at=IMPORTED,
            scored_at=IMPORTED,
        )
        for number, (lead, kind, days, url) in enumerate(
            [
                (ana, "page_view", 30, "/pricing"),
                (ana, "demo_request", 20, None),
                (bo, "webinar_attended", 25, None),
                (bo, "page_view", 24, "/pricing"),
            ]
        ):
            _insert(
                connection,
                "events",
                event_id=f"old-{number}",
                lead_id=lead,
                type=kind,
                occurred_at=NOW - timedelta(days=days),
                properties={"url": url} if url else {},
                received_at=IMPORTED,
            )
        change = _insert(
            connection,
            "stage_changes",
            lead_id=ana,
            from_stage="lead",
            to_stage="sql",
            reason="hand raised: demo_request",
            score=90.0,
            fit=42.0,
            engagement=48.0,
            explanation={},
            changed_at=IMPORTED,
        )
        _insert(
            connection,
            "stage_changes",
            lead_id=bo,
            from_stage="lead",
            to_stage="mql",
            reason="score",
            score=55.0,
            fit=37.0,
            engagement=18.0,
            explanation={},
            changed_at=IMPORTED,
        )
        handoff = _insert(
            connection,
            "handoffs",
            lead_id=ana,
            stage_change_id=change,
            trigger="hand raised: demo_request",
            status="accepted",
            channel="C0SALES001",
            message_ts="1700000000.000100",
            created_at=IMPORTED,
            sla_due_at=IMPORTED + timedelta(hours=1),
            decided_at=IMPORTED + timedelta(hours=2),
            score=90.0,
        )
        _insert(
            connection,
            "decisions",
            handoff_id=handoff,
            lead_id=ana,
            action="accept",
            decided_by="URITA",
            decided_at=IMPORTED + timedelta(hours=2),
            seconds_to_decide=7200.0,
        )
        _insert(
            connection,
            "outbox",
            kind="handoff_card",
            handoff_id=handoff,
            channel="C0SALES001",
            payload={},
            status="sent",
            attempts=1,
            next_attempt_at=IMPORTED,
            created_at=IMPORTED,
            sent_at=IMPORTED,
            lane="C0SALES001",
            in_doubt=False,
            parked_count=0,
        )


def _insert(connection: Any, table_name: str, /, **values: Any) -> int:
    target = Table(table_name, MetaData(), autoload_with=connection)  # the tables as 0005 has them
    return int(connection.execute(insert(target).values(values).returning(target.c.id)).scalar_one())


def test_upgrading_rederives_history_in_event_time_and_keeps_cards_and_decisions(database_url: str) -> None:
    engine = make_engine(database_url)
    _old_database(engine, database_url)
    engine.dispose()

    runtime = build_runtime(make_settings(database_url))  # migrates to the head, as serve does
    with runtime.read_uow() as uow:
        last = uow.events.last_id()
    runtime.drain(until=last, now=NOW)
    with runtime.read_uow() as uow:
        history = uow.session.execute(
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
        handoffs = uow.session.execute(select(HandoffRow.status, HandoffRow.message_ts)).all()
        cards = uow.session.execute(select(OutboxRow.kind, OutboxRow.status)).all()
        stages = dict(uow.session.execute(select(LeadRow.email, LeadRow.stage)).all())
        events = uow.events.count()
    runtime.close()

    assert events == 4
    assert stages == {"ana@acme.io": "accepted", "bo@beta.io": "mql"}
    assert handoffs == [("accepted", "1700000000.000100")]  # the posted, decided card stays
    assert cards == [("handoff_card", "sent")]  # and no card is posted again
    ana = [(row[1], row[2], row[3], row[4]) for row in history if row[0] == "ana@acme.io"]
    assert ana[-2:] == [
        ("mql", "sql", "hand_raise", NOW - timedelta(days=20)),  # dated at the demo request
        ("sql", "accepted", "decision", IMPORTED + timedelta(hours=2)),
    ]
    bo = [(row[2], row[4]) for row in history if row[0] == "bo@beta.io"]
    assert bo == [("mql", NOW - timedelta(days=25))]  # at the webinar, not at the import


def test_db_upgrade_derives_the_history_once_and_says_so(
    database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    engine = make_engine(database_url)
    _old_database(engine, database_url)
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)

    first = CliRunner().invoke(app, ["db", "upgrade"])
    again = CliRunner().invoke(app, ["db", "upgrade"])

    assert first.exit_code == 0, first.output
    assert "deriving the history of 4 events" in first.output
    assert "history derived" in first.output
    assert again.exit_code == 0
    assert "deriving" not in again.output

"""Ingestion through the service on SQLite and PostgreSQL: storage, dedupe, scoring, stages, outbox."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError

from bot.runtime import Runtime, utcnow
from bot.services.leads import lead_report
from storage.tables import EventRow, HandoffRow, OutboxRow, StageChangeRow
from tests.builders import FIT_LEAD, event, parsed


def _count(runtime: Runtime, table: type) -> int:
    with runtime.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(table)).scalar_one())


def test_demo_request_from_fit_lead_makes_sql_with_card_queued(runtime: Runtime) -> None:
    result = runtime.ingest(parsed(event(lead=FIT_LEAD), event(type="demo_request")))

    assert result.accepted == 2
    assert result.stage_changes == {"sql": 1}
    report = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    assert report.lead.stage == "sql"
    assert report.stage_changes[-1].reason == "hand raised: demo_request"
    assert [h.status for h in report.handoffs] == ["open"]
    with runtime.uow() as uow:
        outbox = uow.session.execute(select(OutboxRow.kind, OutboxRow.channel, OutboxRow.handoff_id)).all()
    assert [tuple(row) for row in outbox] == [("handoff_card", "C0SALES001", report.handoffs[0].id)]


def test_same_events_twice_change_nothing(runtime: Runtime) -> None:
    batch = [event(lead=FIT_LEAD), event(type="webinar_attended"), event(type="demo_request")]
    first = runtime.ingest(parsed(*batch))
    before = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())

    second = runtime.ingest(parsed(*batch))

    after = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert (first.accepted, second.accepted, second.duplicates) == (3, 0, 3)
    assert second.stage_changes == {}
    assert before is not None
    assert after is not None
    assert after.lead.score == before.lead.score
    assert _count(runtime, EventRow) == 3
    assert _count(runtime, StageChangeRow) == 2  # MQL at the webinar, SQL at the demo request
    assert _count(runtime, HandoffRow) == 1


def test_duplicate_ids_within_one_batch_are_stored_once(runtime: Runtime) -> None:
    result = runtime.ingest(parsed(event(event_id="same"), event(event_id="same")))

    assert (result.accepted, result.duplicates) == (1, 1)
    assert _count(runtime, EventRow) == 1


def test_unknown_type_is_stored_reported_and_scores_nothing(runtime: Runtime) -> None:
    result = runtime.ingest(parsed(event(type="podcast_listened")))

    assert result.accepted == 1
    assert result.unknown_types == {"podcast_listened": 1}
    report = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    assert report.score.engagement == 0
    assert [e.type for e in report.recent_events] == ["podcast_listened"]


def test_bad_events_are_refused_with_position_and_good_ones_stored(runtime: Runtime) -> None:
    items = parsed(
        event(),
        {
            "event_id": "x",
            "email": "not-an-email",
            "type": "page_view",
            "occurred_at": "2026-11-20T10:00:00Z",
        },
        event(type="email_open"),
    )

    result = runtime.ingest(items)

    assert result.accepted == 2
    assert [(r.index, r.field) for r in result.refused] == [(1, "email")]


def test_profile_fields_update_and_change_fit(runtime: Runtime) -> None:
    runtime.ingest(parsed(event(lead={"title": "Analyst", "company": "Acme"})))
    runtime.ingest(parsed(event(lead={"title": "Chief Revenue Officer"})))

    report = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    assert report.lead.profile.title == "Chief Revenue Officer"
    assert report.lead.profile.company == "Acme"
    assert "seniority_c_level" in {c.rule_id for c in report.score.contributions}


def test_old_hand_raise_from_an_import_is_history_without_a_card(runtime: Runtime) -> None:
    result = runtime.ingest(parsed(event(lead=FIT_LEAD, type="demo_request", ago=timedelta(days=40))))

    assert result.stage_changes == {"sql": 1, "nurture": 1}  # SQL 40 days ago, back in nurture at once
    with runtime.uow() as uow:
        statuses = uow.session.execute(select(HandoffRow.status)).scalars().all()
        cards = uow.outbox.count_by_status()
    assert statuses == ["history"]
    assert cards == {}


def test_disqualified_lead_never_becomes_sql(runtime: Runtime) -> None:
    student = FIT_LEAD | {"title": "Student"}
    result = runtime.ingest(parsed(event(lead=student), event(type="demo_request")))

    assert result.stage_changes == {}


def test_mql_then_sql_are_recorded_with_the_score_explanation(runtime: Runtime) -> None:
    runtime.ingest(parsed(event(lead=FIT_LEAD), event(type="webinar_attended"), event(type="trial_signup")))
    runtime.ingest(
        parsed(
            *[event(type="page_view", properties={"url": "/pricing"}) for _ in range(3)],
            event(type="webinar_attended"),
            event(type="content_download"),
        )
    )

    with runtime.uow() as uow:
        query = select(StageChangeRow.from_stage, StageChangeRow.to_stage, StageChangeRow.explanation)
        changes = uow.session.execute(query.order_by(StageChangeRow.id)).all()
    assert [(c.from_stage, c.to_stage) for c in changes] == [("lead", "mql"), ("mql", "sql")]
    explained = changes[1].explanation
    assert explained["total"] >= 100
    assert {c["rule"] for c in explained["contributions"]} >= {"seniority_vp", "pricing_page"}


def test_failure_while_queuing_the_card_keeps_the_events_and_nothing_of_their_scoring(
    runtime: Runtime,
) -> None:
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE outbox RENAME TO outbox_away")  # a fault at the last write

    appended = runtime.append(parsed(event(lead=FIT_LEAD), event(type="demo_request")))
    with pytest.raises(DBAPIError):
        runtime.score()

    assert (_count(runtime, EventRow), _count(runtime, StageChangeRow), _count(runtime, HandoffRow)) == (
        2,
        0,
        0,
    )
    assert runtime.checkpoint() == 0
    with runtime.engine.begin() as connection:
        connection.exec_driver_sql("ALTER TABLE outbox_away RENAME TO outbox")  # fixed: scoring resumes
    runtime.drain(until=appended.last_event_id)
    assert (_count(runtime, StageChangeRow), _count(runtime, HandoffRow)) == (1, 1)


def test_awkward_text_survives_the_bulk_writes_exactly(runtime: Runtime) -> None:
    awkward = 'tab\there, line\nbreak, back\\slash, "quotes", NULL, \\N, émoji 🎯'
    properties = {"url": "/pricing", "note": awkward, "nested": {"list": [1, 2.5, None, awkward]}}
    profile = {**FIT_LEAD, "name": awkward[:200], "company": "O'Brien \\ Sons\t&\nCo"}

    runtime.ingest(parsed(event(event_id="awkward-1", properties=properties, lead=profile)))

    report = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    assert report.lead.profile.name == awkward
    assert report.lead.profile.company == "O'Brien \\ Sons\t&\nCo"
    with runtime.uow() as uow:
        stored = uow.events.of_lead(report.lead.id, upto=runtime.checkpoint())
    assert [(item.event_id, item.properties) for item in stored] == [("awkward-1", properties)]
    assert stored[0].profile == profile

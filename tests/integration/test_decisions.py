"""Decisions on handoffs: recorded once, the first one wins even when two reps click at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime, utcnow
from bot.services.decisions import DecisionRequest, HandoffNotFound, record_decision
from bot.services.leads import lead_report
from scoring import Decision
from storage.tables import DecisionRow, OutboxRow
from tests.builders import FIT_LEAD, event, parsed


@pytest.fixture
def handoff_id(runtime: Runtime) -> int:
    runtime.ingest(parsed(event(lead=FIT_LEAD), event(type="demo_request")))
    report = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    return report.handoffs[0].id


def _decide(runtime: Runtime, handoff_id: int, user: str, action: Decision = Decision.ACCEPT, **kw: object):  # type: ignore[no-untyped-def]
    request = DecisionRequest(handoff_id=handoff_id, action=action, user_id=user, **kw)  # type: ignore[arg-type]
    return record_decision(
        uow=runtime.uow(), request=request, model=runtime.model, policy=runtime.policy, now=utcnow()
    )


def test_accept_records_decision_moves_lead_and_queues_card_update(runtime: Runtime, handoff_id: int) -> None:
    outcome = _decide(runtime, handoff_id, "URITA")

    assert outcome.recorded
    report = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    assert report.lead.stage == "accepted"
    assert report.handoffs[0].status == "accepted"
    assert report.handoffs[0].decision is not None
    assert report.handoffs[0].decision.decided_by == "URITA"
    with runtime.uow() as uow:
        kinds = uow.session.execute(select(OutboxRow.kind).order_by(OutboxRow.id)).scalars().all()
    assert kinds == ["handoff_card", "card_update", "thread_note"]


def test_recycle_keeps_reason_note_and_date(runtime: Runtime, handoff_id: int) -> None:
    until = datetime(2027, 3, 1, tzinfo=UTC)

    _decide(
        runtime,
        handoff_id,
        "UBEN",
        Decision.RECYCLE,
        reason="bad_timing",
        note="Q2 budget",
        recycle_until=until,
    )

    report = lead_report(uow=runtime.uow(), email="ana@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    assert report.lead.stage == "recycled"
    assert report.lead.recycle_until == until
    decision = report.handoffs[0].decision
    assert decision is not None
    assert (decision.action, decision.reason, decision.note) == ("recycle", "bad_timing", "Q2 budget")


def test_second_decision_gets_the_first_one_back(runtime: Runtime, handoff_id: int) -> None:
    _decide(runtime, handoff_id, "URITA")

    late = _decide(runtime, handoff_id, "UBEN", Decision.REJECT, reason="no_fit")

    assert not late.recorded
    assert (late.decision.action, late.decision.decided_by) == ("accept", "URITA")


def test_two_reps_clicking_at_once_make_exactly_one_decision(runtime: Runtime, handoff_id: int) -> None:
    reps = [f"UREP{n}" for n in range(6)]
    start = threading.Barrier(len(reps))

    def click(user: str) -> bool:
        start.wait()
        return bool(_decide(runtime, handoff_id, user).recorded)

    with ThreadPoolExecutor(max_workers=len(reps)) as pool:
        recorded = list(pool.map(click, reps))

    assert recorded.count(True) == 1
    with runtime.uow() as uow:
        assert uow.session.execute(select(func.count()).select_from(DecisionRow)).scalar_one() == 1


def test_recycled_lead_needs_a_hand_raise_before_its_date(runtime: Runtime, handoff_id: int) -> None:
    _decide(
        runtime,
        handoff_id,
        "UBEN",
        Decision.RECYCLE,
        reason="bad_timing",
        recycle_until=utcnow() + timedelta(days=90),
    )

    later = timedelta(0)  # after the decision, in event time
    scored = runtime.ingest(parsed(*[event(type="webinar_attended", ago=later) for _ in range(3)]))
    raised = runtime.ingest(parsed(event(type="contact_sales", ago=later)))

    assert scored.stage_changes == {}
    assert raised.stage_changes == {"sql": 1}


def test_unknown_handoff_is_an_error(runtime: Runtime) -> None:
    with pytest.raises(HandoffNotFound):
        _decide(runtime, 999, "URITA")

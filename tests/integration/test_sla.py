"""SLA follow-ups: a reminder at the SLA, an escalation at twice it, never repeated, not after a decision."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import select, update

from bot.runtime import Runtime, build_runtime, utcnow
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.sla import scan_sla
from scoring import Decision
from storage.tables import OutboxRow
from tests.builders import FIT_LEAD, event, parsed


def _make_sqls(runtime: Runtime, count: int) -> None:
    for number in range(count):
        email = f"buyer{number}@acme.io"
        runtime.ingest(parsed(event(email, lead=FIT_LEAD), event(email, "demo_request")))


def _queued(runtime: Runtime) -> list[str]:
    with runtime.uow() as uow:
        return list(uow.session.execute(select(OutboxRow.kind).order_by(OutboxRow.id)).scalars())


def test_reminder_at_the_sla_then_escalation_at_twice_it_each_once(runtime: Runtime) -> None:
    _make_sqls(runtime, 1)
    start = utcnow()

    early = scan_sla(uow=runtime.uow(), now=start + timedelta(minutes=59), sla_minutes=60)
    due = scan_sla(uow=runtime.uow(), now=start + timedelta(minutes=61), sla_minutes=60)
    again = scan_sla(uow=runtime.uow(), now=start + timedelta(minutes=62), sla_minutes=60)
    late = scan_sla(uow=runtime.uow(), now=start + timedelta(minutes=121), sla_minutes=60)

    assert (early.reminded, early.escalated) == ([], [])
    assert (len(due.reminded), due.escalated) == (1, [])
    assert (again.reminded, again.escalated) == ([], [])
    assert (late.reminded, len(late.escalated)) == ([], 1)
    assert _queued(runtime) == [
        "handoff_card",
        "sla_reminder",
        "card_update",  # still queued at the escalation: it will show both
        "sla_escalation",
    ]


def test_decided_handoffs_are_not_chased(runtime: Runtime) -> None:
    _make_sqls(runtime, 1)
    with runtime.uow() as uow:
        handoff_id = uow.handoffs.open_for_home(limit=1)[0].id
    record_decision(
        uow=runtime.uow(),
        request=DecisionRequest(handoff_id, Decision.ACCEPT, "URITA"),
        model=runtime.model,
        policy=runtime.policy,
        now=utcnow(),
    )

    scan = scan_sla(uow=runtime.uow(), now=utcnow() + timedelta(hours=5), sla_minutes=60)

    assert (scan.reminded, scan.escalated) == ([], [])


def test_concurrent_scans_remind_each_handoff_once(runtime: Runtime) -> None:
    _make_sqls(runtime, 5)
    later = utcnow() + timedelta(minutes=61)
    start = threading.Barrier(4)

    def scan(_: int) -> list[int]:
        start.wait()
        return scan_sla(uow=runtime.uow(), now=later, sla_minutes=60).reminded

    with ThreadPoolExecutor(max_workers=4) as pool:
        reminded = [handoff for found in pool.map(scan, range(4)) for handoff in found]

    assert len(reminded) == len(set(reminded)) == 5
    assert _queued(runtime).count("sla_reminder") == 5


def test_reminders_are_not_repeated_after_a_restart(runtime: Runtime) -> None:
    _make_sqls(runtime, 2)
    later = utcnow() + timedelta(minutes=61)
    first = scan_sla(uow=runtime.uow(), now=later, sla_minutes=60)

    restarted = build_runtime(runtime.settings)  # a new process: new engine, nothing kept in memory
    again = scan_sla(uow=restarted.uow(), now=later + timedelta(minutes=5), sla_minutes=60)
    restarted.close()

    assert len(first.reminded) == 2
    assert again.reminded == []


def test_a_card_update_already_sent_is_queued_again_for_the_escalation(runtime: Runtime) -> None:
    _make_sqls(runtime, 1)
    start = utcnow()
    scan_sla(uow=runtime.uow(), now=start + timedelta(minutes=61), sla_minutes=60)
    with runtime.uow() as uow:
        uow.session.execute(update(OutboxRow).values(status="sent"))
        uow.commit()

    scan_sla(uow=runtime.uow(), now=start + timedelta(minutes=121), sla_minutes=60)

    assert _queued(runtime)[-2:] == ["sla_escalation", "card_update"]

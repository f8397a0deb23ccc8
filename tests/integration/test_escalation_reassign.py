"""An escalation that reassigns: a card nobody decided within twice its SLA passes to the team's next
rep, recorded and told, on both databases."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from bot.runtime import build_runtime, utcnow
from bot.services.escalation import EscalationHandOver
from bot.services.reassign import TakeOver, TakeOverRequest, take_over
from bot.services.sla import scan_sla
from storage.tables import OutboxRow
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import make_settings

ROUTING = """
teams:
  core:
    members: [{user: U0ANA}, {user: U0BEN}]
    hours: {days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "23:59"}
    on_escalation: %s
routes: [{name: everyone, channel: C0SALES001, team: core}]
"""


def escalate(
    database_url: str, tmp_path: Path, on_escalation: str
) -> tuple[list[int], list[tuple[str, str | None, str]], list[str]]:
    routing = tmp_path / f"routing-{on_escalation}.yaml"
    routing.write_text(ROUTING % on_escalation, encoding="utf-8")
    runtime = build_runtime(make_settings(database_url, routing=routing))
    try:
        runtime.ingest(parsed(event(lead=FIT_LEAD), event(type="demo_request")))
        later = utcnow() + timedelta(minutes=121)
        scan = scan_sla(
            uow=runtime.uow(),
            now=later,
            sla_minutes=60,
            hand_over=EscalationHandOver(runtime.policy, runtime.model),
        )
        with runtime.read_uow() as uow:
            (handoff,) = uow.handoffs.open_for_home(limit=5)
            changes = [(c.assignee, c.previous, c.cause) for c in uow.assignments.history(handoff.id)]
            query = select(OutboxRow.kind).where(OutboxRow.handoff_id == handoff.id).order_by(OutboxRow.id)
            kinds = list(uow.session.execute(query).scalars())
    finally:
        runtime.close()
    return scan.passed_on, changes, kinds


def test_an_escalated_card_passes_to_the_next_rep_when_the_team_says_so(
    database_url: str, tmp_path: Path
) -> None:
    passed, changes, kinds = escalate(database_url, tmp_path, "reassign")

    assert len(passed) == 1
    assert changes == [("U0ANA", None, "route"), ("U0BEN", "U0ANA", "escalation")]
    assert kinds.count("assigned") == 2  # a direct message to each rep in turn
    assert "handed_over" in kinds


def test_an_escalation_only_mentions_by_default(database_url: str, tmp_path: Path) -> None:
    passed, changes, kinds = escalate(database_url, tmp_path, "mention")

    assert passed == []
    assert changes == [("U0ANA", None, "route")]
    assert "handed_over" not in kinds


def test_the_holder_can_pass_a_card_to_another_rep_who_is_told(database_url: str, tmp_path: Path) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING % "mention", encoding="utf-8")
    runtime = build_runtime(make_settings(database_url, routing=routing))
    try:
        runtime.ingest(parsed(event(lead=FIT_LEAD), event(type="demo_request")))
        with runtime.read_uow() as uow:
            (handoff,) = uow.handoffs.open_for_home(limit=5)
        request = TakeOverRequest(handoff.id, "U0ANA", "U0ANA", "Ben covers EMEA", to="U0BEN")
        passed = take_over(uow=runtime.uow(), request=request, now=utcnow())
        again = take_over(uow=runtime.uow(), request=request, now=utcnow())
        with runtime.read_uow() as uow:
            changes = [
                (c.assignee, c.previous, c.cause, c.by_user) for c in uow.assignments.history(handoff.id)
            ]
            query = select(OutboxRow.payload).where(
                OutboxRow.handoff_id == handoff.id, OutboxRow.kind == "assigned"
            )
            told = [payload["user"] for payload in uow.session.execute(query).scalars()]
    finally:
        runtime.close()
    assert (passed, again) == (TakeOver.TAKEN, TakeOver.ALREADY_YOURS)
    assert changes == [("U0ANA", None, "route", None), ("U0BEN", "U0ANA", "reassign", "U0ANA")]
    assert told == ["U0ANA", "U0BEN"]

"""SLA follow-ups: a reminder in the card's thread when its SLA passes, an escalation at twice that
(with routing, both counted in the team's working time: the due times are set when the card is).

Each follow-up is claimed (``reminded_at`` / ``escalated_at`` set) in the same transaction that
queues its message, so it happens once even with several replicas scanning, and never again after
a restart. The card is updated to show it (one queued update serves every follow-up not yet shown).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.escalation import EscalationHandOver
from storage.outbox import SLA_ESCALATION, SLA_REMINDER
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class SlaScan:
    """Which handoffs were reminded and escalated by one scan."""

    reminded: list[int]
    escalated: list[int]
    passed_on: list[int] = field(default_factory=list)


def scan_sla(
    *, uow: UnitOfWork, now: datetime, sla_minutes: float, hand_over: EscalationHandOver | None = None
) -> SlaScan:
    """Queue reminders for handoffs past their SLA and escalations for those past twice the SLA
    (and, with ``hand_over``, pass escalated cards of a team that reassigns to its next rep)."""
    with uow:
        reminded = uow.handoffs.claim_overdue(column="reminded_at", due_before=now, at=now)
        escalated = uow.handoffs.claim_overdue(
            column="escalated_at",
            due_before=now - timedelta(minutes=sla_minutes),
            at=now,
            own_due_before=now,
        )
        for kind, handoff_ids in ((SLA_REMINDER, reminded), (SLA_ESCALATION, escalated)):
            for handoff_id in handoff_ids:
                uow.outbox.add(kind=kind, at=now, handoff_id=handoff_id)
        for handoff_id in sorted(set(reminded) | set(escalated)):
            uow.outbox.add_card_update(handoff_id=handoff_id, at=now)
        passed = hand_over.pass_on(uow, escalated, now=now) if hand_over else []
        uow.commit()
    return SlaScan(reminded=reminded, escalated=escalated, passed_on=passed)

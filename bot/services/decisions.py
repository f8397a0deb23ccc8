"""Recording a rep's decision on a handoff: the first decision wins, enforced by the database; the
lead then moves through the lifecycle like any other fact."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.lifecycle_writes import LeadWriter, decision_fact
from bot.services.policy import HandoffPolicy
from bot.services.webhook_queue import queue_webhook
from bot.webhooks.events import HandoffDecided, LeadRef
from scoring import Decision, ScoringModel
from storage.handoffs import DecisionRecord
from storage.outbox import CARD_UPDATE, THREAD_NOTE
from storage.uow import UnitOfWork


class HandoffNotFound(LookupError):
    """No handoff with that id."""


class HeldByAnother(PermissionError):
    """The handoff is assigned to another rep: they decide it (or someone takes it over first)."""

    def __init__(self, assignee: str) -> None:
        super().__init__(f"assigned to {assignee}")
        self.assignee = assignee


def holder_of(*, uow: UnitOfWork, handoff_id: int) -> str | None:
    """The rep an open handoff is assigned to (None: anyone in its channel decides it)."""
    with uow:
        handoff = uow.handoffs.get(handoff_id)
    return handoff.assignee if handoff is not None and handoff.decision is None else None


@dataclass(frozen=True)
class DecisionRequest:
    """What a rep decided, as the Slack listeners hand it over."""

    handoff_id: int
    action: Decision
    user_id: str
    reason: str | None = None
    note: str | None = None
    recycle_until: datetime | None = None


@dataclass(frozen=True)
class DecisionOutcome:
    """Whether this decision was recorded, or the one that got there first."""

    recorded: bool
    decision: DecisionRecord


def record_decision(
    *, uow: UnitOfWork, request: DecisionRequest, model: ScoringModel, policy: HandoffPolicy, now: datetime
) -> DecisionOutcome:
    """Close the handoff, record the decision, move the lead and queue the card update, at once."""
    decision = DecisionRecord(
        action=request.action,
        reason=request.reason,
        note=request.note,
        recycle_until=request.recycle_until,
        decided_by=request.user_id,
        decided_at=now,
    )
    with uow:
        handoff = uow.handoffs.get(request.handoff_id)
        if handoff is None:
            raise HandoffNotFound(f"no handoff {request.handoff_id}")
        lead = uow.leads.lock_by_ids([handoff.lead_id])[handoff.lead_id]  # the scorer's lock order
        holder = uow.assignments.holder(handoff.id)  # read under the lead's lock: a take-over waits
        if holder is not None and holder != request.user_id and handoff.decision is None:
            raise HeldByAnother(holder)
        if not uow.handoffs.close_if_open(handoff_id=handoff.id, status=request.action.status, at=now):
            earlier = uow.handoffs.get(handoff.id)
            assert earlier is not None
            assert earlier.decision is not None
            return DecisionOutcome(recorded=False, decision=earlier.decision)
        uow.handoffs.add_decision(
            handoff_id=handoff.id, lead_id=handoff.lead_id, decision=decision, opened_at=handoff.created_at
        )
        writer = LeadWriter(uow=uow, model=model, policy=policy, now=now)
        writer.apply(lead, [decision_fact(decision)])
        writer.flush()
        for kind in (CARD_UPDATE, THREAD_NOTE):
            uow.outbox.add(kind=kind, at=now, handoff_id=handoff.id, channel=handoff.channel)
        decided = HandoffDecided(
            lead=LeadRef(id=lead.id, email=lead.email),
            handoff_id=handoff.id,
            decision=decision.action.value,
            reason=decision.reason,
            note=decision.note,
            recycle_until=decision.recycle_until,
            decided_by=decision.decided_by,
            decided_at=now,
        )
        queue_webhook(uow, policy.webhooks, decided, lead_id=lead.id, at=now, now=now)
        uow.commit()
    return DecisionOutcome(recorded=True, decision=decision)

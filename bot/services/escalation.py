"""An escalation that reassigns: with ``on_escalation: reassign`` on its team, a card nobody decided
within twice its SLA passes to the team's next rep in turn (the one who held it is skipped). The
change is recorded like a take-over, said in the card's thread, and the new rep gets a direct message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.placement import Placer
from bot.services.policy import HandoffPolicy
from bot.services.reassign import announce_hand_over
from scoring import ScoringModel
from storage.assignments import AssignmentRecord
from storage.outbox import ASSIGNED
from storage.uow import UnitOfWork

ESCALATED = "escalation"
WHY = "no decision within the SLA"


@dataclass(frozen=True)
class EscalationHandOver:
    """Passes escalated cards on, inside the scan's unit of work."""

    policy: HandoffPolicy
    model: ScoringModel

    def pass_on(self, uow: UnitOfWork, handoff_ids: list[int], *, now: datetime) -> list[int]:
        """Give each escalated handoff whose team reassigns to its next rep; returns those passed on."""
        routing = self.policy.routing
        if routing is None:
            return []
        placer = Placer(uow=uow, policy=self.policy, model=self.model, now=now)
        passed = []
        for handoff_id in handoff_ids:
            handoff = uow.handoffs.get(handoff_id)
            team = routing.teams.get(handoff.team or "") if handoff else None
            if handoff is None or team is None or team.on_escalation != "reassign":
                continue
            _, rep = placer.next_holder(routing, handoff.team or "", passing=handoff.assignee)
            if rep is None:
                continue
            record = AssignmentRecord(handoff_id, rep, handoff.assignee, ESCALATED, None, WHY, now)
            lead = uow.leads.get(handoff.lead_id)
            if lead is not None and uow.assignments.hand_over(record):
                webhooks = self.policy.webhooks
                announce_hand_over(uow, record, lead_id=lead.id, email=lead.email, webhooks=webhooks)
                uow.outbox.add(kind=ASSIGNED, at=now, handoff_id=handoff_id, payload={"user": rep})
                passed.append(handoff_id)
        return passed

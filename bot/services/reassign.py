"""Taking a card over: a rep of its channel takes a handoff another rep holds, saying why. The change
is recorded (who, from whom, why, when), the card shows the new holder and its thread says so."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.services.webhook_queue import assigned, queue_webhook
from bot.webhooks.config import WebhookConfig
from storage.assignments import AssignmentRecord
from storage.outbox import ASSIGNED, HANDED_OVER
from storage.uow import UnitOfWork

TAKEN_OVER = "reassign"


class TakeOver(StrEnum):
    """How a take-over ended."""

    TAKEN = "taken"
    ALREADY_YOURS = "already_yours"
    DECIDED = "decided"
    GONE = "gone"
    MOVED_ON = "moved_on"  # someone else took it over first


@dataclass(frozen=True)
class TakeOverRequest:
    """Who takes which handoff over, from whom they saw holding it, and why."""

    handoff_id: int
    user_id: str
    previous: str | None
    reason: str
    to: str | None = None  # another rep the card is given to (None: the requesting rep takes it)

    @property
    def taker(self) -> str:
        """Who holds the card after the change."""
        return self.to or self.user_id


def take_over(
    *, uow: UnitOfWork, request: TakeOverRequest, now: datetime, webhooks: WebhookConfig | None = None
) -> TakeOver:
    """Give the handoff to the requesting rep if it is open and still held by ``previous``."""
    with uow:
        handoff = uow.handoffs.get(request.handoff_id)
        if handoff is None:
            return TakeOver.GONE
        lead = uow.leads.lock_by_ids([handoff.lead_id])[handoff.lead_id]  # as decisions lock: one waits
        holder = uow.assignments.holder(handoff.id)
        if holder == request.taker:
            return TakeOver.ALREADY_YOURS
        if holder != request.previous:
            return TakeOver.MOVED_ON
        record = AssignmentRecord(
            handoff.id, request.taker, holder, TAKEN_OVER, request.user_id, request.reason, now
        )
        if not uow.assignments.hand_over(record):
            return TakeOver.DECIDED
        announce_hand_over(uow, record, lead_id=lead.id, email=lead.email, webhooks=webhooks)
        if request.taker != request.user_id:
            uow.outbox.add(kind=ASSIGNED, at=now, handoff_id=handoff.id, payload={"user": request.taker})
        uow.commit()
    return TakeOver.TAKEN


def announce_hand_over(
    uow: UnitOfWork, record: AssignmentRecord, *, lead_id: int, email: str, webhooks: WebhookConfig | None
) -> None:
    """Queue the card's update, the thread line that says who holds it now, and the webhooks."""
    said = assigned(record=record, email=email, lead_id=lead_id)
    queue_webhook(uow, webhooks, said, lead_id=lead_id, at=record.at, now=record.at)
    uow.outbox.add_card_update(handoff_id=record.handoff_id, at=record.at)
    payload = {
        "previous": record.previous,
        "assignee": record.assignee,
        "by": record.by_user,
        "reason": record.reason,
    }
    uow.outbox.add(kind=HANDED_OVER, at=record.at, handoff_id=record.handoff_id, payload=payload)

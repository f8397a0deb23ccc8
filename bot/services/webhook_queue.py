"""Queuing webhook messages: one outbox entry per endpoint that takes the event, in the transaction
that made the event, in order per lead and endpoint (the entry's lane)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from bot.webhooks.config import WebhookConfig
from bot.webhooks.events import HandoffAssigned, HandoffPosted, LeadOutcome, LeadRef, message
from scoring.facts import EventFact
from storage.assignments import AssignmentRecord
from storage.outbox import WEBHOOK
from storage.uow import UnitOfWork


def queue_webhook(
    uow: UnitOfWork,
    config: WebhookConfig | None,
    data: BaseModel,
    *,
    lead_id: int,
    at: datetime,
    now: datetime,
) -> None:
    """Queue ``data`` (an event model, which happened ``at``) for every endpoint that takes it."""
    if config is None:
        return
    body = message(data, at=at)
    for endpoint in config.taking(body["type"]):
        uow.outbox.add(
            kind=WEBHOOK,
            at=now,
            channel=endpoint.name,
            payload={"body": body},
            lane=f"w:{endpoint.name}:{lead_id}",
        )


def outcome_of(*, lead: LeadRef, fact: EventFact) -> LeadOutcome:
    """The ``lead.outcome`` message of an outcome event."""
    properties = fact.properties
    amount = properties.get("amount")
    currency = properties.get("currency")
    return LeadOutcome(
        lead=lead,
        outcome=fact.type,
        event_id=fact.event_id,
        occurred_at=fact.at,
        amount=float(amount) if isinstance(amount, int | float) else None,
        currency=str(currency) if isinstance(currency, str) else None,
    )


def assigned(*, record: AssignmentRecord, email: str, lead_id: int) -> HandoffAssigned:
    """The ``handoff.assigned`` message of a change of hands."""
    return HandoffAssigned(
        lead=LeadRef(id=lead_id, email=email),
        handoff_id=record.handoff_id,
        assignee=record.assignee,
        previous=record.previous,
        cause=record.cause,
        by=record.by_user,
        reason=record.reason,
        at=record.at,
    )


def queue_card_posted(
    uow: UnitOfWork, config: WebhookConfig | None, *, handoff_id: int, channel: str, ts: str, now: datetime
) -> None:
    """Queue ``handoff.posted`` once a card is in Slack."""
    if config is None:
        return
    handoff = uow.handoffs.get(handoff_id)
    lead = uow.leads.get(handoff.lead_id) if handoff else None
    if handoff is None or lead is None:
        return
    posted = HandoffPosted(
        lead=LeadRef(id=lead.id, email=lead.email),
        handoff_id=handoff.id,
        channel=channel,
        message_ts=ts,
        assignee=handoff.assignee,
        route=handoff.route,
        trigger=handoff.trigger,
        score=handoff.score,
        sla_due_at=handoff.sla_due_at,
    )
    queue_webhook(uow, config, posted, lead_id=lead.id, at=now, now=now)

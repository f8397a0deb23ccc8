"""What each webhook says: one pydantic model per event type (they are also the OpenAPI document's
``webhooks``), built by pure functions. A message is ``{"type", "timestamp", "data"}``, the Standard
Webhooks shape; ``timestamp`` is when it happened (event time), not when it was sent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class LeadRef(BaseModel):
    """The lead an event is about."""

    id: int
    email: str


class StageChanged(BaseModel):
    """``lead.stage_changed``: a lead moved between stages (lead, mql, sql, accepted, …)."""

    lead: LeadRef
    from_stage: str
    to_stage: str
    reason: str
    score: float
    fit: float
    engagement: float
    changed_at: datetime


class HandoffPosted(BaseModel):
    """``handoff.posted``: a new SQL's card is in Slack."""

    lead: LeadRef
    handoff_id: int
    channel: str
    message_ts: str
    assignee: str | None
    route: str | None
    trigger: str
    score: float
    sla_due_at: datetime


class HandoffAssigned(BaseModel):
    """``handoff.assigned``: a rep holds a handoff now (routing, account owner, take-over, escalation)."""

    lead: LeadRef
    handoff_id: int
    assignee: str
    previous: str | None
    cause: str
    by: str | None
    reason: str | None
    at: datetime


class HandoffDecided(BaseModel):
    """``handoff.decided``: a rep accepted, rejected or recycled a handoff."""

    lead: LeadRef
    handoff_id: int
    decision: str
    reason: str | None
    note: str | None
    recycle_until: datetime | None
    decided_by: str
    decided_at: datetime


class LeadOutcome(BaseModel):
    """``lead.outcome``: what became of a lead in the CRM (opportunity created, won, lost)."""

    lead: LeadRef
    outcome: str
    event_id: str
    occurred_at: datetime
    amount: float | None = None
    currency: str | None = None


EVENT_MODELS: dict[str, type[BaseModel]] = {
    "lead.stage_changed": StageChanged,
    "handoff.posted": HandoffPosted,
    "handoff.assigned": HandoffAssigned,
    "handoff.decided": HandoffDecided,
    "lead.outcome": LeadOutcome,
}
_TYPES = {model: name for name, model in EVENT_MODELS.items()}


def message(data: BaseModel, *, at: datetime) -> dict[str, Any]:
    """The JSON body of one webhook: its type (from the model), when it happened, and its data."""
    return {"type": _TYPES[type(data)], "timestamp": at.isoformat(), "data": data.model_dump(mode="json")}


class WebhookMessage(BaseModel):
    """Every webhook's envelope (``data`` is the event type's model)."""

    type: str
    timestamp: datetime
    data: dict[str, Any]

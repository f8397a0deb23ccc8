"""Ingestion: store new events once, update profiles, re-score, and move stages.

One call is one transaction: the events, the new scores, any stage change and, for a new SQL,
its handoff and the outbox entry for its card are committed together or not at all.
"""

from __future__ import annotations

import gc
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.services.schemas import EventIn, Refusal
from scoring import (
    EngagementLedger,
    Event,
    Score,
    ScoringModel,
    Stage,
    Transition,
    advance,
    score_lead,
    score_totals,
)
from storage.leads import LeadState
from storage.outbox import HANDOFF_CARD
from storage.uow import UnitOfWork


@dataclass(frozen=True, slots=True)
class HandoffPolicy:
    """Where new SQL cards go and how long reps have to act on them."""

    sales_channel: str | None
    sla_minutes: float


@dataclass
class IngestResult:
    """What happened to a batch: counts, refusals, unknown types and stage changes."""

    accepted: int = 0
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)
    stage_changes: Counter[str] = field(default_factory=Counter)
    new_sqls: list[str] = field(default_factory=list)

    def add(self, other: IngestResult) -> None:
        """Fold another batch's result into this one."""
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.refused.extend(other.refused)
        self.unknown_types.update(other.unknown_types)
        self.stage_changes.update(other.stage_changes)
        self.new_sqls.extend(other.new_sqls)

    def as_dict(self) -> dict[str, Any]:
        """The result as the API answers it."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "refused": [refusal.model_dump() for refusal in self.refused],
            "unknown_types": dict(self.unknown_types),
            "stage_changes": dict(self.stage_changes),
        }


def ingest_events(
    *,
    uow: UnitOfWork,
    events: Sequence[EventIn],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: datetime,
) -> IngestResult:
    """Store the new events among ``events`` and re-score their leads, in one transaction."""
    result = IngestResult()
    unique = _first_of_each_id(events, result)
    if not unique:
        return result
    with uow:
        leads = _lock_leads(uow, {event.email for event in unique}, now)
        stored = uow.events.existing_ids([event.event_id for event in unique])
        fresh = [event for event in unique if event.event_id not in stored]
        result.duplicates += len(unique) - len(fresh)
        by_email: dict[str, list[EventIn]] = defaultdict(list)
        for event in fresh:
            by_email[event.email].append(event)
        batch = _Batch(uow=uow, model=model, policy=policy, now=now, result=result)
        for email in sorted(by_email):
            batch.apply(leads[email], by_email[email])
        batch.rows.sort(key=lambda row: row["event_id"])
        uow.events.add_many(batch.rows)
        uow.handoffs.record_stage_changes(batch.changes)
        uow.leads.save([leads[email] for email in sorted(by_email)], scored_at=now)
        uow.commit()
    result.accepted = len(batch.rows)
    return result


def _first_of_each_id(events: Sequence[EventIn], result: IngestResult) -> list[EventIn]:
    seen: set[str] = set()
    unique = []
    for event in events:
        if event.event_id in seen:
            result.duplicates += 1
            continue
        seen.add(event.event_id)
        unique.append(event)
    return unique


def _lock_leads(uow: UnitOfWork, emails: set[str], now: datetime) -> dict[str, LeadState]:
    # Leads are locked before events are checked for duplicates, so a concurrent batch carrying
    # the same event for the same lead sees it stored once it gets the lock.
    leads = uow.leads.lock_by_emails(emails)
    missing = sorted(emails - leads.keys())
    if missing:
        uow.leads.create_missing(missing, at=now)
        leads.update(uow.leads.lock_by_emails(missing))
    return leads


@dataclass
class _Batch:
    """One transaction's work: event rows to insert and stage changes to append, gathered per lead."""

    uow: UnitOfWork
    model: ScoringModel
    policy: HandoffPolicy
    now: datetime
    result: IngestResult
    rows: list[dict[str, Any]] = field(default_factory=list)
    changes: list[tuple[int, Transition, Score]] = field(default_factory=list)

    def apply(self, lead: LeadState, events: list[EventIn]) -> None:
        """Fold one lead's new events into it, re-score it, and move its stage."""
        events.sort(key=lambda event: event.occurred_at)
        ledger = EngagementLedger.from_json(lead.ledger)
        hand_raise = None
        for event in events:
            if event.lead is not None:
                lead.merge_profile(event.lead.model_dump(exclude_none=True))
            if not self.model.knows_event(event.type):
                self.result.unknown_types[event.type] += 1
            domain_event = Event(event.event_id, event.type, event.occurred_at, event.properties)
            rule = ledger.record(self.model, domain_event)
            if _is_fresh_hand_raise(event, self.model, self.now):
                hand_raise = event.type
            self.rows.append(
                {
                    "event_id": event.event_id,
                    "lead_id": lead.id,
                    "type": event.type,
                    "occurred_at": event.occurred_at,
                    "properties": event.properties,
                    "rule_id": rule.id if rule else None,
                    "received_at": self.now,
                }
            )
        lead.ledger = ledger.to_json()
        rescore(
            uow=self.uow,
            lead=lead,
            model=self.model,
            policy=self.policy,
            now=self.now,
            hand_raise=hand_raise,
            result=self.result,
            ledger=ledger,
            changes=self.changes,
        )


def _is_fresh_hand_raise(event: EventIn, model: ScoringModel, now: datetime) -> bool:
    thresholds = model.thresholds
    max_age = timedelta(days=thresholds.hand_raise_max_age_days)
    return event.type in thresholds.hand_raise and now - event.occurred_at <= max_age


def rescore(
    *,
    uow: UnitOfWork,
    lead: LeadState,
    model: ScoringModel,
    policy: HandoffPolicy,
    now: datetime,
    hand_raise: str | None = None,
    result: IngestResult | None = None,
    ledger: EngagementLedger | None = None,
    changes: list[tuple[int, Transition, Score]] | None = None,
) -> Transition | None:
    """Score ``lead`` at ``now`` and make the stage move that follows, if any.

    A move to MQL is appended to ``changes`` for the caller to write in bulk when given; a move to
    SQL is written at once with its handoff and the outbox entry for its card.
    """
    ledger = ledger or EngagementLedger.from_json(lead.ledger)
    totals = score_totals(model=model, profile=lead.profile, ledger=ledger, at=now)
    lead.score, lead.fit, lead.engagement = totals.total, totals.fit, totals.engagement
    lead.disqualified = totals.disqualified
    transition = advance(
        stage=lead.stage,
        score=totals,
        thresholds=model.thresholds,
        hand_raise=hand_raise,
        recycle_until=lead.recycle_until,
    )
    if transition is None:
        return None
    lead.stage = transition.to_stage
    score = score_lead(model=model, profile=lead.profile, ledger=ledger, at=now)
    if result is not None:
        result.stage_changes[transition.to_stage.value] += 1
    if transition.to_stage is not Stage.SQL and changes is not None:
        changes.append((lead.id, transition, score))
        return transition
    change_id = uow.handoffs.record_stage_change(lead_id=lead.id, transition=transition, score=score)
    if transition.to_stage is Stage.SQL:
        lead.recycle_until = None
        _open_handoff(uow, lead, change_id, transition, policy, score)
        if result is not None:
            result.new_sqls.append(lead.email)
    return transition


def _open_handoff(
    uow: UnitOfWork,
    lead: LeadState,
    change_id: int,
    transition: Transition,
    policy: HandoffPolicy,
    score: Score,
) -> None:
    handoff_id = uow.handoffs.open_handoff(
        lead_id=lead.id,
        stage_change_id=change_id,
        trigger=transition.reason,
        score=score,
        sla_due_at=score.at + timedelta(minutes=policy.sla_minutes),
    )
    uow.outbox.add(kind=HANDOFF_CARD, at=score.at, handoff_id=handoff_id, channel=policy.sales_channel)


def tune_garbage_collector_for_bulk_ingest() -> None:
    """Collect cycles every 50,000 allocations instead of 700 (see below); for bulk ingestion."""
    # Ingesting a batch allocates hundreds of thousands of small objects that die young. At the
    # default threshold (700 allocations) the cyclic collector runs hundreds of times per batch,
    # and its full passes walk every long-lived object (the fit cache): a quarter of ingestion time
    # at 100,000 leads. Collecting every 50,000 allocations keeps memory bounded all the same.
    gc.set_threshold(50_000, 20, 100)

"""A stored lead and the lifecycle's view of it (``scoring.facts.LeadLife``), both ways."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from scoring import Decision, EngagementLedger, LeadProfile, ScoringModel, score_totals
from scoring.facts import EarlierDecision, EventFact, LeadLife
from scoring.lifecycle import next_due
from scoring.outcomes import LeadOutcome
from storage.event_reads import LoggedEvent
from storage.leads import PROFILE_FIELDS, LeadState


def life_of(lead: LeadState) -> LeadLife:
    """What the lifecycle knows of a stored lead (a lead never derived yet starts afresh); the
    state it was just written from, when the scorer kept it in memory."""
    if isinstance(lead.derived_from, LeadLife):
        return lead.derived_from
    if not lead.derived:
        return LeadLife(profile=LeadProfile(email=lead.email))
    life = lead.life
    attributes = life.get("attributes")
    return LeadLife(
        profile=replace(lead.profile, attributes=_attributes(attributes)) if attributes else lead.profile,
        ledger=EngagementLedger.from_json(lead.ledger),
        stage=lead.stage,
        as_of=lead.as_of,
        recycle_until=lead.recycle_until,
        cool_off_until=_time(life.get("cool_off_until")),
        below_mql_since=_time(life.get("below_mql_since")),
        earlier=earlier_decision(life.get("earlier")),
        owner=life.get("owner"),
        first_source=lead.first_source,
        first_campaign=lead.first_campaign,
        sql_count=int(life.get("sql_count", 0)),
        outcome=LeadOutcome.from_json(life.get("outcome")),
    )


def event_fact(event: LoggedEvent) -> EventFact:
    """A logged event as the lifecycle reads it."""
    _, _, event_id, kind, occurred_at, properties, profile = event
    return EventFact(event_id, kind, occurred_at, properties, profile)


def start_life(lead: LeadState) -> LeadLife:
    """Where a replay of ``lead`` starts: no facts yet, and the profile it had before the event log
    kept profiles (events stored before then did not carry them)."""
    return LeadLife(profile=LeadProfile(email=lead.email, **base_profile(lead)))


def base_profile(lead: LeadState) -> dict[str, Any]:
    """The profile fields a replay starts from (none, unless the lead predates the event log)."""
    if not lead.derived:
        return dict(lead.profile_values)
    return dict(lead.life.get("base_profile") or {})


def store_life(lead: LeadState, life: LeadLife, *, model: ScoringModel, now: datetime) -> None:
    """Write ``life`` into the stored lead, with its score as of ``now``."""
    totals = score_totals(model=model, profile=life.profile, ledger=life.ledger, at=now)
    lead.stage = life.stage
    lead.ledger = life.ledger.to_json()
    lead.profile_values = {
        name: value for name in PROFILE_FIELDS if (value := getattr(life.profile, name)) is not None
    }
    lead.score, lead.fit, lead.engagement = totals.total, totals.fit, totals.engagement
    lead.disqualified = totals.disqualified
    lead.as_of = life.as_of
    lead.recycle_until = life.recycle_until
    lead.first_source, lead.first_campaign = life.first_source, life.first_campaign
    lead.next_due_at = next_due(life, model)
    lead.derived = True
    lead.life = {
        "cool_off_until": _iso(life.cool_off_until),
        "below_mql_since": _iso(life.below_mql_since),
        "earlier": earlier_json(life.earlier),
        "owner": life.owner,
        "sql_count": life.sql_count,
        "model": model.label,
    }
    if life.profile.attributes:
        lead.life["attributes"] = [list(pair) for pair in life.profile.attributes]
    if life.outcome is not None:
        lead.life["outcome"] = life.outcome.as_json()
    lead.derived_from = life


def earlier_json(earlier: EarlierDecision | None) -> dict[str, Any] | None:
    """An earlier decision as JSON (stored with the lead, and on a returning handoff)."""
    if earlier is None:
        return None
    return {
        "action": earlier.action.value,
        "at": earlier.at.isoformat(),
        "by": earlier.by,
        "reason": earlier.reason,
        "note": earlier.note,
    }


def earlier_decision(data: dict[str, Any] | None) -> EarlierDecision | None:
    """An earlier decision read back from its JSON (None when there is none)."""
    if not data:
        return None
    at = _time(data["at"])
    assert at is not None
    return EarlierDecision(Decision(data["action"]), at, data["by"], data.get("reason"), data.get("note"))


def _attributes(pairs: list[list[Any]]) -> tuple[tuple[str, str | float], ...]:
    return tuple((str(name), value) for name, value in pairs)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None

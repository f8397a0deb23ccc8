"""Looking leads up: the profile, the live score with its explanation, the stage history with each
change's cause, the handoffs (live cards, history, returning ones) and the lifecycle's signals."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

from bot.services.lead_life import life_of
from scoring import EngagementLedger, LeadProfile, Score, ScoringModel, score_lead
from scoring.outcomes import LeadOutcome
from storage.event_log import StoredEvent
from storage.handoffs import HandoffRecord, StageChangeRecord
from storage.leads import PROFILE_FIELDS, LeadState
from storage.quarantine import Quarantined
from storage.signals import StoredSignal
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class LeadReport:
    """Everything a rep or an API client sees about one lead."""

    lead: LeadState
    profile: LeadProfile
    outcome: LeadOutcome | None
    score: Score
    kept_aside: Quarantined | None
    stage_changes: list[StageChangeRecord]
    handoffs: list[HandoffRecord]
    recent_events: list[StoredEvent]
    signals: list[StoredSignal] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form, as ``GET /v1/leads/{email}`` and ``handoff lead --json`` answer."""
        return {
            "email": self.lead.email,
            "profile": {name: self.lead.profile_values.get(name) for name in PROFILE_FIELDS},
            "attributes": dict(self.profile.attributes),
            "stage": self.lead.stage.value,
            "outcome": self.outcome.as_json() if self.outcome else None,
            "model": self.lead.life.get("model") if self.lead.derived else None,
            "kept_aside": _record_dict(self.kept_aside) if self.kept_aside else None,
            "score": self.score.as_dict() | {"top": [c.rule_id for c in self.score.top()]},
            "stage_changes": [_record_dict(change) for change in self.stage_changes],
            "handoffs": [_handoff_dict(handoff) for handoff in self.handoffs],
            "recent_events": [_record_dict(event) for event in self.recent_events],
            "signals": [_record_dict(signal) for signal in self.signals],
        }


def lead_report(*, uow: UnitOfWork, email: str, model: ScoringModel, now: datetime) -> LeadReport | None:
    """The lead with this email, scored as of ``now``, or None if there is none."""
    with uow:
        lead = uow.leads.by_email(email)
        if lead is None:
            return None
        life = life_of(lead)
        profile = life.profile if lead.derived else lead.profile
        return LeadReport(
            lead=lead,
            profile=profile,
            outcome=life.outcome,
            kept_aside=uow.quarantine.of_lead(lead.id),
            score=score_lead(
                model=model, profile=profile, ledger=EngagementLedger.from_json(lead.ledger), at=now
            ),
            stage_changes=uow.handoffs.stage_changes(lead.id),
            handoffs=uow.handoffs.for_lead(lead.id),
            recent_events=uow.events.recent(lead.id, limit=10),
            signals=uow.signals.for_lead(lead.id),
        )


def _record_dict(record: Any) -> dict[str, Any]:
    return {item.name: _jsonable(getattr(record, item.name)) for item in fields(record)}


def _handoff_dict(handoff: HandoffRecord) -> dict[str, Any]:
    data = _record_dict(handoff)
    data["decision"] = _record_dict(handoff.decision) if handoff.decision else None
    return data


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value

"""Pure scoring domain: the model, the engine, the stage machine. No I/O happens here."""

from scoring.engine import EngagementLedger, fit_contributions, score_events, score_lead, score_totals
from scoring.loader import ModelError, parse_model
from scoring.model import EngagementRule, FitRule, ScoringModel, Thresholds
from scoring.stages import StageError, Transition, advance, decide
from scoring.types import (
    REASONS,
    Contribution,
    Decision,
    Event,
    HandoffStatus,
    LeadProfile,
    Score,
    ScoreTotals,
    Stage,
    is_reason,
    reason_label,
)

__all__ = [
    "REASONS",
    "Contribution",
    "Decision",
    "EngagementLedger",
    "EngagementRule",
    "Event",
    "FitRule",
    "HandoffStatus",
    "LeadProfile",
    "ModelError",
    "Score",
    "ScoreTotals",
    "ScoringModel",
    "Stage",
    "StageError",
    "Thresholds",
    "Transition",
    "advance",
    "decide",
    "fit_contributions",
    "is_reason",
    "parse_model",
    "reason_label",
    "score_events",
    "score_lead",
    "score_totals",
]

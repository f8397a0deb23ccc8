"""The stage machine: lead → mql → sql through scoring, then a sales decision.

Stages only move forward through scoring. Accepted and rejected leads stay where sales put them;
a recycled lead is back in nurture and can become an SQL again by raising its hand at any time,
or by its score once its recycle date has passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scoring.model import Thresholds
from scoring.types import Decision, Score, ScoreTotals, Stage

_DECISION_STAGE = {
    Decision.ACCEPT: Stage.ACCEPTED,
    Decision.REJECT: Stage.REJECTED,
    Decision.RECYCLE: Stage.RECYCLED,
}


class StageError(ValueError):
    """A move the stage machine does not allow."""


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of stage and, in words, what caused it."""

    from_stage: Stage
    to_stage: Stage
    reason: str


def advance(
    *,
    stage: Stage,
    score: Score | ScoreTotals,
    thresholds: Thresholds,
    hand_raise: str | None,
    recycle_until: datetime | None,
) -> Transition | None:
    """The move scoring makes for a lead, if any.

    ``hand_raise`` is the type of a hand-raise event just received (``demo_request``...), or None.
    ``recycle_until`` holds a recycled lead in nurture until that moment, unless it raises a hand.
    """
    if score.disqualified or stage in (Stage.SQL, Stage.ACCEPTED, Stage.REJECTED):
        return None
    if hand_raise is not None:
        return Transition(stage, Stage.SQL, f"hand raised: {hand_raise}")
    if stage is Stage.RECYCLED and recycle_until is not None and score.at < recycle_until:
        return None
    if score.total >= thresholds.sql and score.fit >= thresholds.sql_min_fit:
        reason = f"score {score.total:g} ≥ {thresholds.sql:g}, fit {score.fit:g} ≥ {thresholds.sql_min_fit:g}"
        return Transition(stage, Stage.SQL, reason)
    if stage is Stage.LEAD and score.total >= thresholds.mql:
        return Transition(stage, Stage.MQL, f"score {score.total:g} ≥ {thresholds.mql:g}")
    return None


def decide(*, stage: Stage, decision: Decision) -> Transition:
    """The move a sales decision makes; only an SQL can be decided."""
    if stage is not Stage.SQL:
        raise StageError(f"only an SQL can be decided; this lead is {stage.value}")
    return Transition(stage, _DECISION_STAGE[decision], f"sales decision: {decision.value}")

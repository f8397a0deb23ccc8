"""What calibration advice reads, computed by the database: the window's cards by lane, band and
decision, acceptance per scoring rule, and what became of each rule's handoffs in the CRM."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from storage.tables import OUTCOME_ROWS, DecisionRow, EventRow, HandoffRow, HandoffSignalRow, StageChangeRow

HAND_RAISE_LANE = "hand_raise"
SCORE_LANE = "score"
Window = tuple[datetime, datetime]
_OUTCOMES = ("opportunity_created", "closed_won", "closed_lost")
_CONVERTED = ("opportunity_created", "closed_won")


@dataclass(frozen=True, slots=True)
class RuleOutcome:
    """A scoring rule's handoffs of the window whose outcome the CRM told: how many, how many
    converted (an opportunity or a won deal), and the amounts they won."""

    known: int
    converted: int
    won_amount: float


@dataclass(frozen=True, slots=True)
class CardGroup:
    """How many cards of one lane and band (score band, or fit band in the hand-raise lane) met the
    same action (None: not decided yet) and reason."""

    lane: str
    band: int
    action: str | None
    reason: str | None
    count: int


def _band(column: Any, edges: Sequence[float]) -> ColumnElement[int]:
    return case(*[(column < edge, index) for index, edge in enumerate(edges)], else_=len(edges))


class CalibrationQueries:
    """Aggregates behind calibration advice, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def card_groups(
        self, window: Window, *, score_edges: Sequence[float], fit_edges: Sequence[float]
    ) -> list[CardGroup]:
        """The cards sent in ``window`` (history handoffs had none) by lane, band, action and reason."""
        handoff, change, decision = HandoffRow, StageChangeRow, DecisionRow
        hand_raise = change.cause == HAND_RAISE_LANE
        lane = case((hand_raise, literal(HAND_RAISE_LANE)), else_=literal(SCORE_LANE)).label("lane")
        band = case((hand_raise, _band(change.fit, fit_edges)), else_=_band(change.score, score_edges))
        rows = (
            select(lane, band.label("band"), decision.action.label("action"), decision.reason.label("reason"))
            .select_from(handoff)
            .join(change, change.id == handoff.stage_change_id)
            .outerjoin(decision, decision.handoff_id == handoff.id)
            .where(
                handoff.status != "history", handoff.created_at >= window[0], handoff.created_at < window[1]
            )
            .subquery()
        )
        keys = (rows.c.lane, rows.c.band, rows.c.action, rows.c.reason)
        query = select(*keys, func.count()).group_by(*keys)
        return [
            CardGroup(lane_name, int(band_index), action, reason, int(count))
            for lane_name, band_index, action, reason, count in self._session.execute(query)
        ]

    def rule_acceptance(self, window: Window) -> dict[str, tuple[int, int]]:
        """Per scoring rule behind a handoff: (decided, accepted) of the decisions taken in ``window``."""
        signal, decision = HandoffSignalRow, DecisionRow
        accepted = func.coalesce(func.sum(case((decision.action == "accept", 1), else_=0)), 0)
        query = (
            select(signal.rule_id, func.count(), accepted)
            .join(decision, decision.handoff_id == signal.handoff_id)
            .where(decision.decided_at >= window[0], decision.decided_at < window[1])
            .group_by(signal.rule_id)
        )
        return {rule: (int(total), int(hits)) for rule, total, hits in self._session.execute(query)}

    def rule_outcomes(self, window: Window) -> dict[str, RuleOutcome]:
        """Per scoring rule behind the handoffs created in ``window``: what the CRM says became of
        them (outcome events of the lead from the handoff on)."""
        handoff, event, signal = HandoffRow, EventRow, HandoffSignalRow
        amount = event.properties["amount"].as_float()
        per_handoff = (
            select(
                handoff.id.label("handoff_id"),
                func.max(case((event.type.in_(_CONVERTED), 1), else_=0)).label("converted"),
                func.coalesce(func.sum(case((event.type == "closed_won", amount), else_=0.0)), 0.0).label(
                    "won"
                ),
            )
            .join(
                event,
                and_(
                    event.lead_id == handoff.lead_id,
                    event.occurred_at >= handoff.created_at,
                    event.type.in_(_OUTCOMES),
                ),
            )
            .where(
                handoff.created_at >= window[0],
                handoff.created_at < window[1],
                # Only the leads with an outcome since the window opened, found by the partial
                # index of outcome events (SQLite takes it only for a WHERE repeating its literals).
                handoff.lead_id.in_(
                    select(event.lead_id).where(OUTCOME_ROWS, event.occurred_at >= window[0])
                ),
            )
            .group_by(handoff.id)
            .subquery()
        )
        query = (
            select(
                signal.rule_id, func.count(), func.sum(per_handoff.c.converted), func.sum(per_handoff.c.won)
            )
            .join(per_handoff, per_handoff.c.handoff_id == signal.handoff_id)
            .group_by(signal.rule_id)
        )
        return {
            rule: RuleOutcome(int(known), int(converted or 0), float(won or 0.0))
            for rule, known, converted, won in self._session.execute(query)
        }

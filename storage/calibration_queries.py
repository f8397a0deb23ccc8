"""What calibration advice reads, computed by the database: the window's cards by lane, band and
decision, and acceptance per scoring rule."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from storage.tables import DecisionRow, HandoffRow, HandoffSignalRow, StageChangeRow

HAND_RAISE_LANE = "hand_raise"
SCORE_LANE = "score"
Window = tuple[datetime, datetime]


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

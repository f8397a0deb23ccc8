"""The bands calibration advice reads, per lane: score bands in the score lane, fit bands in the
hand-raise lane, each starting where the lane's threshold admits handoffs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from scoring import Decision, ScoringModel
from scoring.calibration import HAND_RAISE_LANE, BandOutcome
from storage.calibration_queries import CardGroup

_STEP = 10
_BANDS = 6
_ACTIONS = tuple(Decision)


def _edges_from(threshold: float) -> tuple[float, ...]:
    """Ten-point bands from the one holding ``threshold`` (its first bands are the lane's margin);
    below them, one band for cards an older, lower threshold let through."""
    start = math.floor(threshold / _STEP) * _STEP
    return tuple(float(start + _STEP * step) for step in range(_BANDS + 1))


def score_band_edges(model: ScoringModel) -> tuple[float, ...]:
    """Upper edges of the score lane's bands (the first band holds the SQL threshold)."""
    return _edges_from(model.thresholds.sql)


def fit_band_edges(model: ScoringModel) -> tuple[float, ...]:
    """Upper edges of the hand-raise lane's fit bands (the first band holds the fit floor)."""
    return _edges_from(model.thresholds.hand_raise_min_fit)


def lane_outcomes(
    groups: list[CardGroup], *, score_edges: Sequence[float], fit_edges: Sequence[float]
) -> list[BandOutcome]:
    """Cards by lane and band with what reps did to them, and each band's top reject reason."""
    counts: dict[tuple[str, int], list[int]] = {}
    rejects: dict[tuple[str, int], Counter[str]] = {}
    for group in groups:
        slot = counts.setdefault((group.lane, group.band), [0, 0, 0, 0])
        slot[_ACTIONS.index(group.action) if group.action in _ACTIONS else 3] += group.count
        if group.action == Decision.REJECT and group.reason:
            rejects.setdefault((group.lane, group.band), Counter())[group.reason] += group.count
    outcomes = []
    for (lane, band), (accepted, rejected, recycled, undecided) in sorted(counts.items()):
        edges = fit_edges if lane == HAND_RAISE_LANE else score_edges
        low = edges[band - 1] if band > 0 else -math.inf
        high = edges[band] if band < len(edges) else None
        top = rejects.get((lane, band), Counter()).most_common(1)
        reason = top[0][0] if top else None
        outcomes.append(BandOutcome(low, high, accepted, rejected, recycled, reason, lane, undecided))
    return outcomes


def lane_acceptance(groups: list[CardGroup]) -> dict[str, tuple[int, int]]:
    """The hand-raise lane as one more rule to compare: (decided, accepted) of its decided cards."""
    lane = [group for group in groups if group.lane == HAND_RAISE_LANE and group.action in _ACTIONS]
    decided = sum(group.count for group in lane)
    accepted = sum(group.count for group in lane if group.action == "accept")
    return {HAND_RAISE_LANE: (decided, accepted)} if decided else {}

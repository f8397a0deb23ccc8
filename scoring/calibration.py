"""Calibration advice: reps' decisions turned into suggested changes to the scoring model.

Pure functions over counts; nothing is suggested below ``min_sample`` decisions of evidence. A
threshold is only ever proposed to move the way that would have kept out what reps rejected: up,
above its current value. Handoffs come through two lanes: the score lane (score ≥ the SQL
threshold, admitted by ``sql``) and the hand-raise lane (admitted by the fit floor
``hand_raise_min_fit`` whatever the score); each lane's bands only ever move its own threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scoring.model import ScoringModel

MIN_SAMPLE = 10
MOSTLY_REJECTED = 0.6
FAR_APART = 2.0
RARELY_ACCEPTED = 0.2
SCORE_LANE = "score"
HAND_RAISE_LANE = "hand_raise"
HAND_RAISE_LABEL = "hand-raises (the fast lane)"


@dataclass(frozen=True)
class Advice:
    """A suggested model change and the counts behind it; ``setting`` moves from ``current`` to
    ``proposed`` (None when the advice names no threshold, or only a direction)."""

    suggestion: str
    evidence: str
    setting: str | None = None
    current: float | None = None
    proposed: float | None = None


@dataclass(frozen=True)
class BandOutcome:
    """Cards of one lane whose score (score lane) or fit (hand-raise lane) was in [low, high)
    (high None: no upper bound), by what reps did with them."""

    low: float
    high: float | None
    accepted: int
    rejected: int
    recycled: int
    top_reject_reason: str | None = None
    lane: str = SCORE_LANE
    undecided: int = 0

    @property
    def decided(self) -> int:
        """All decisions in the band."""
        return self.accepted + self.rejected + self.recycled

    @property
    def cards(self) -> int:
        """Every card in the band, decided or not."""
        return self.decided + self.undecided


def advise(
    *,
    model: ScoringModel,
    bands: list[BandOutcome],
    rules: dict[str, tuple[int, int]],
    reason_labels: dict[str, str],
    min_sample: int = MIN_SAMPLE,
    outcomes: dict[str, tuple[int, int, float]] | None = None,
) -> list[Advice]:
    """Suggestions from cards by lane and band and by rule (``rules``: id → (decided, accepted); the
    hand-raise lane as the rule ``HAND_RAISE_LANE``). ``outcomes`` (id → handoffs whose outcome is
    known, converted, amount won) is better evidence than clicks: with enough of it, rules are
    compared by what their leads became in the CRM."""
    lanes = [SCORE_LANE, HAND_RAISE_LANE]
    found = [_lane_advice(model, bands, lane, reason_labels, min_sample) for lane in lanes]
    known = {rule: (total, hits) for rule, (total, hits, _) in (outcomes or {}).items()}
    if sum(total >= min_sample for total, _ in known.values()) >= 2:
        won = {rule: amount for rule, (_, _, amount) in (outcomes or {}).items()}
        by_rule = _rule_advice(model, known, min_sample, verb="converted", won=won)
    else:
        by_rule = _rule_advice(model, rules, min_sample)
    return [*(advice for advice in found if advice is not None), *by_rule]


def _lane_advice(
    model: ScoringModel, bands: list[BandOutcome], lane: str, reason_labels: dict[str, str], min_sample: int
) -> Advice | None:
    """The lane's lowest bands, while mostly rejected: raise the lane's threshold past them."""
    ordered = sorted((band for band in bands if band.lane == lane), key=lambda band: band.low)
    run: list[BandOutcome] = []
    for band in ordered:
        if band.decided < min_sample or band.rejected / band.decided < MOSTLY_REJECTED:
            break
        run.append(band)
    if not run:
        return None
    evidence = _evidence(run, lane, reason_labels)
    top = run[-1].high
    if top is None:
        whom = "hand-raises from the best-fitting leads" if lane == HAND_RAISE_LANE else "the highest scores"
        return Advice(f"Review the fit rules: even {whom} are mostly rejected.", evidence)
    setting, current = _threshold(model, lane)
    if top <= current:
        return None  # cards from an older model, below today's threshold: moving up to them fixes nothing
    fewer = [band for band in ordered if band.high is not None and band.high <= top]
    impact = (
        f"; would have sent {sum(b.cards for b in fewer)} fewer cards, "
        f"{sum(b.accepted for b in fewer)} of them accepted"
    )
    if lane == HAND_RAISE_LANE:
        suggestion = f"Raise the hand-raise fit floor (hand_raise_min_fit) from {current:g} to {top:g}?"
    else:
        suggestion = f"Raise the SQL threshold from {current:g} to {top:g}?"
    return Advice(suggestion, evidence + impact, setting, current, top)


def _threshold(model: ScoringModel, lane: str) -> tuple[str, float]:
    thresholds = model.thresholds
    if lane == HAND_RAISE_LANE:
        return "hand_raise_min_fit", thresholds.hand_raise_min_fit
    return "sql", thresholds.sql


def _evidence(run: list[BandOutcome], lane: str, reason_labels: dict[str, str]) -> str:
    rejected, decided = sum(b.rejected for b in run), sum(b.decided for b in run)
    span = _span(run[0].low, run[-1].high)
    reasons = [b.top_reject_reason for b in sorted(run, key=lambda b: -b.rejected) if b.top_reject_reason]
    reason = reason_labels.get(reasons[0], reasons[0]) if reasons else ""
    why = f", mostly as '{reason}'" if reason else ""
    if lane == HAND_RAISE_LANE:
        return f"{rejected} of {decided} {HAND_RAISE_LABEL} from leads with fit {span} were rejected{why}"
    return f"{rejected} of {decided} handoffs scored {span} were rejected{why}"


def _span(low: float, high: float | None) -> str:
    """'50–59', '100+', '-20 to -11', 'under 50'."""
    if low == -math.inf:
        return f"under {high:g}"
    if high is None:
        return f"{low:g}+"
    joint = " to " if low < 0 else "–"
    return f"{low:g}{joint}{high - 1:g}"


def _rule_advice(
    model: ScoringModel,
    rules: dict[str, tuple[int, int]],
    min_sample: int,
    *,
    verb: str = "were accepted",
    won: dict[str, float] | None = None,
) -> list[Advice]:
    rated = sorted(
        (
            (hits / total, rule_id, total, hits)
            for rule_id, (total, hits) in rules.items()
            if total >= min_sample and (rule_id == HAND_RAISE_LANE or model.rule(rule_id) is not None)
        ),
        reverse=True,
    )
    if len(rated) < 2:
        return []
    advice = []
    best, worst = rated[0], rated[-1]
    if best[0] > 0 and (worst[0] == 0 or best[0] / worst[0] >= FAR_APART):
        times = "always" if worst[0] == 0 else f"{best[0] / worst[0]:.1f}×"
        evidence = (
            f"'{_label(model, best[1])}' leads {verb} {times} as often "
            f"({best[3]} of {best[2]} vs {worst[3]} of {worst[2]})"
        )
        if won and (won.get(best[1]) or won.get(worst[1])):
            evidence += f"; {won.get(best[1], 0):,.0f} won vs {won.get(worst[1], 0):,.0f}"
        advice.append(Advice(_compare(model, best[1], worst[1]), evidence))
    for rate, rule_id, total, hits in rated[:-1]:
        if rate <= RARELY_ACCEPTED:
            advice.append(_rarely_accepted(model, rule_id, total, hits, verb=verb))
    return advice


def _compare(model: ScoringModel, best: str, worst: str) -> str:
    if worst == HAND_RAISE_LANE:
        floor = model.thresholds.hand_raise_min_fit
        return (
            f"Give '{_label(model, best)}' more points, or raise the hand-raise fit floor "
            f"(hand_raise_min_fit, now {floor:g})?"
        )
    if best == HAND_RAISE_LANE:
        return f"Give '{_label(model, worst)}' fewer points?"
    return f"Give '{_label(model, best)}' more points or '{_label(model, worst)}' fewer?"


def _rarely_accepted(model: ScoringModel, rule_id: str, decided: int, accepted: int, *, verb: str) -> Advice:
    evidence = f"its leads {verb} only {accepted} of {decided} times"
    if rule_id == HAND_RAISE_LANE:
        floor = model.thresholds.hand_raise_min_fit
        suggestion = f"Raise the hand-raise fit floor (hand_raise_min_fit) above {floor:g}?"
        return Advice(suggestion, evidence, "hand_raise_min_fit", floor, None)
    return Advice(f"Lower the points of '{_label(model, rule_id)}'?", evidence)


def _label(model: ScoringModel, rule_id: str) -> str:
    if rule_id == HAND_RAISE_LANE:
        return HAND_RAISE_LABEL
    rule = model.rule(rule_id)
    return rule.label if rule is not None else rule_id

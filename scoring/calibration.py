"""Calibration advice: reps' decisions turned into suggested changes to the scoring model.

Pure functions over counts; nothing is suggested below ``min_sample`` decisions of evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from scoring.model import ScoringModel

MIN_SAMPLE = 10
MOSTLY_REJECTED = 0.6
FAR_APART = 2.0
RARELY_ACCEPTED = 0.2


@dataclass(frozen=True)
class Advice:
    """A suggested model change and the counts behind it."""

    suggestion: str
    evidence: str


@dataclass(frozen=True)
class BandOutcome:
    """Decisions on handoffs whose score was in [low, high) (high None: no upper bound)."""

    low: float
    high: float | None
    accepted: int
    rejected: int
    recycled: int
    top_reject_reason: str | None = None

    @property
    def decided(self) -> int:
        """All decisions in the band."""
        return self.accepted + self.rejected + self.recycled


def advise(
    *,
    model: ScoringModel,
    bands: list[BandOutcome],
    rules: dict[str, tuple[int, int]],
    reason_labels: dict[str, str],
    min_sample: int = MIN_SAMPLE,
) -> list[Advice]:
    """Suggestions from decisions by score band and by rule (``rules``: id → (decided, accepted))."""
    return [*_band_advice(model, bands, reason_labels, min_sample), *_rule_advice(model, rules, min_sample)]


def _band_advice(
    model: ScoringModel, bands: list[BandOutcome], reason_labels: dict[str, str], min_sample: int
) -> list[Advice]:
    advice = []
    for band in bands:
        if band.decided < min_sample or band.rejected / band.decided < MOSTLY_REJECTED:
            continue
        span = f"{band.low:g}+" if band.high is None else f"{band.low:g}–{band.high - 1:g}"
        reason = reason_labels.get(band.top_reject_reason or "", band.top_reject_reason or "")
        why = f", mostly as '{reason}'" if reason else ""
        evidence = f"{band.rejected} of {band.decided} handoffs scored {span} were rejected{why}"
        if band.high is None:
            advice.append(
                Advice("Review the fit rules: even the highest scores are mostly rejected.", evidence)
            )
            continue
        threshold = "MQL" if band.high <= model.thresholds.mql else "SQL"
        advice.append(Advice(f"Raise the {threshold} threshold to {band.high:g}?", evidence))
    return advice


def _rule_advice(model: ScoringModel, rules: dict[str, tuple[int, int]], min_sample: int) -> list[Advice]:
    rated = sorted(
        (
            (accepted / decided, rule_id, decided, accepted)
            for rule_id, (decided, accepted) in rules.items()
            if decided >= min_sample and model.rule(rule_id) is not None
        ),
        reverse=True,
    )
    if len(rated) < 2:
        return []
    advice = []
    best, worst = rated[0], rated[-1]
    if best[0] > 0 and (worst[0] == 0 or best[0] / worst[0] >= FAR_APART):
        times = "always" if worst[0] == 0 else f"{best[0] / worst[0]:.1f}×"
        advice.append(
            Advice(
                f"Give '{_label(model, best[1])}' more points or '{_label(model, worst[1])}' fewer?",
                f"'{_label(model, best[1])}' leads were accepted {times} as often "
                f"({best[3]} of {best[2]} vs {worst[3]} of {worst[2]})",
            )
        )
    for rate, rule_id, decided, accepted in rated[:-1]:
        if rate <= RARELY_ACCEPTED:
            advice.append(
                Advice(
                    f"Lower the points of '{_label(model, rule_id)}'?",
                    f"its leads were accepted only {accepted} of {decided} times",
                )
            )
    return advice


def _label(model: ScoringModel, rule_id: str) -> str:
    rule = model.rule(rule_id)
    return rule.label if rule is not None else rule_id

"""A backtest's figures: ranking (ROC AUC, lift by decile), conversion by stage and score band,
precision and recall at the thresholds, cards per week, and leads that would change stage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.services.backtest import BacktestSpec, Replayed
from scoring import Stage
from scoring.evaluation import AtThreshold, Group, at_threshold, by_band, by_decile, by_stage, lift, roc_auc


@dataclass(frozen=True)
class BacktestReport:
    """Everything ``handoff backtest`` prints (as a table, JSON or a chart)."""

    model: str
    label: str
    leads: int
    samples: int
    converted: int
    auc: float | None
    deciles: list[Group]
    lift: list[float]
    bands: list[Group]
    stages: list[Group]
    thresholds: list[AtThreshold]
    cards_by_week: list[tuple[datetime, int]]
    would_move: int | None

    @property
    def rate(self) -> float:
        """The overall conversion rate of the samples."""
        return self.converted / self.samples if self.samples else 0.0

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``handoff backtest --json``)."""
        return {
            "model": self.model,
            "label": self.label,
            "leads": self.leads,
            "samples": self.samples,
            "converted": self.converted,
            "conversion_rate": round(self.rate, 4),
            "auc": None if self.auc is None else round(self.auc, 4),
            "deciles": [
                _group(g) | {"lift": round(x, 3)} for g, x in zip(self.deciles, self.lift, strict=True)
            ],
            "bands": [_group(group) for group in self.bands],
            "stages": [_group(group) for group in self.stages],
            "thresholds": [
                {
                    "name": t.name,
                    "threshold": t.threshold,
                    "precision": round(t.precision, 4),
                    "recall": round(t.recall, 4),
                    "flagged": t.flagged,
                }
                for t in self.thresholds
            ],
            "cards_by_week": [
                {"week": week.date().isoformat(), "cards": count} for week, count in self.cards_by_week
            ],
            "would_move": self.would_move,
        }


def backtest_report(replayed: Replayed, spec: BacktestSpec) -> BacktestReport:
    """The figures of a replay under ``spec.model``."""
    samples = replayed.samples
    thresholds = spec.model.thresholds
    converted = sum(sample.converted for sample in samples)
    deciles = by_decile(samples)
    edges = sorted(
        {thresholds.mql / 2, thresholds.mql, (thresholds.mql + thresholds.sql) / 2, thresholds.sql}
    )
    return BacktestReport(
        model=spec.model.label,
        label=spec.label,
        leads=replayed.leads,
        samples=len(samples),
        converted=converted,
        auc=roc_auc(samples),
        deciles=deciles,
        lift=lift(deciles, converted / len(samples) if samples else 0.0),
        bands=by_band(samples, edges),
        stages=by_stage(samples, [stage.value for stage in Stage]),
        thresholds=[
            at_threshold(samples, "MQL", thresholds.mql),
            at_threshold(samples, "SQL", thresholds.sql),
        ],
        cards_by_week=sorted(replayed.cards_by_week.items()),
        would_move=replayed.would_move if spec.live is not None else None,
    )


def _group(group: Group) -> dict[str, Any]:
    return {
        "name": group.name,
        "leads": group.leads,
        "converted": group.converted,
        "rate": round(group.rate, 4),
    }

"""``handoff model fit``: points learnt from stored events and outcomes by a regularised logistic
regression over the candidate rules' contributions, cross-validated, then written as a model of
integer points whose thresholds sit at the probabilities asked for."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scoring.engine import EngagementLedger, score_lead
from scoring.facts import EventFact
from scoring.fit_candidates import candidate_model
from scoring.model import ScoringModel
from scoring.types import Event, LeadProfile

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Sample:
    """A lead as a fit learns from it: its profile at the moment that matters, its events before
    that moment, and whether it converted."""

    profile: LeadProfile
    events: list[EventFact]
    converted: bool


class FitError(ValueError):
    """The data cannot give a model (too few converters, say); the message says why."""


@dataclass(frozen=True)
class FitSettings:
    """Where the thresholds go (probabilities of converting), folds and regularisation."""

    sql_probability: float = 0.8
    mql_probability: float = 0.5
    folds: int = 5
    strength: float = 1.0


@dataclass(frozen=True)
class Learnt:
    """The regression's weights by candidate rule, its intercept, and its held-out AUC per fold."""

    candidate: ScoringModel
    weights: dict[str, float]
    intercept: float
    fold_aucs: list[float]

    @property
    def held_out_auc(self) -> float:
        """The mean AUC on the folds held out of each fit."""
        return sum(self.fold_aucs) / len(self.fold_aucs)


def learn(samples: Sequence[Sample], current: ScoringModel, settings: FitSettings) -> Learnt:
    """Fit the candidate rules' weights to the samples' outcomes."""
    candidate = candidate_model(samples, current)
    ids, rows = features(samples, candidate)
    labels = [int(sample.converted) for sample in samples]
    converted = sum(labels)
    if min(converted, len(labels) - converted) < settings.folds:
        raise FitError(
            f"a fit needs at least {settings.folds} converted and {settings.folds} not converted leads;"
            f" found {converted} and {len(labels) - converted}"
        )
    if not ids:
        raise FitError("no candidate rule tells the leads apart: the events and profiles are all alike")
    regression, fold_aucs = _fit(rows, labels, settings)
    weights = dict(zip(ids, (float(w) for w in regression.coef_[0]), strict=True))
    return Learnt(candidate, weights, float(regression.intercept_[0]), fold_aucs)


def features(samples: Sequence[Sample], candidate: ScoringModel) -> tuple[list[str], list[list[float]]]:
    """Each sample's contribution per candidate rule (the engine's own numbers), without the rules
    that are the same for every sample."""
    table = [_contributions(sample, candidate) for sample in samples]
    ids = [rule.id for rule in candidate.fit] + [rule.id for rule in candidate.engagement]
    varied = [rule_id for rule_id in ids if len({row.get(rule_id, 0.0) for row in table}) > 1]
    return varied, [[row.get(rule_id, 0.0) for rule_id in varied] for row in table]


def scale_and_offset(
    settings: FitSettings, *, mql_points: float = 50, gap: float = 50
) -> tuple[float, float]:
    """Points per unit of log-odds, and the points added so that the MQL threshold is ``mql_points``
    and the SQL threshold ``gap`` above it."""
    low, high = _logit(settings.mql_probability), _logit(settings.sql_probability)
    if high <= low:
        raise FitError("the SQL probability must be above the MQL probability")
    scale = gap / (high - low)
    return scale, mql_points - scale * low


def _contributions(sample: Sample, candidate: ScoringModel) -> dict[str, float]:
    ledger = EngagementLedger()
    for event in sample.events:
        ledger.record(candidate, Event(event.event_id, event.type, event.at, dict(event.properties)))
    at = sample.events[-1].at if sample.events else _EPOCH  # no decay in the candidates: any moment
    score = score_lead(model=candidate, profile=sample.profile, ledger=ledger, at=at)
    return {contribution.rule_id: contribution.points for contribution in score.contributions}


def _fit(rows: list[list[float]], labels: list[int], settings: FitSettings) -> tuple[Any, list[float]]:
    try:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold
    except ImportError:
        raise FitError("model fit needs scikit-learn: pip install 'handoff[lab]'") from None
    folds = StratifiedKFold(n_splits=settings.folds, shuffle=True, random_state=0)
    aucs = []
    for train, test in folds.split(rows, labels):
        regression = LogisticRegression(C=settings.strength, max_iter=5000)
        regression.fit([rows[i] for i in train], [labels[i] for i in train])
        predicted = regression.decision_function([rows[i] for i in test])
        aucs.append(float(roc_auc_score([labels[i] for i in test], predicted)))
    return LogisticRegression(C=settings.strength, max_iter=5000).fit(rows, labels), aucs


def _logit(probability: float) -> float:
    return math.log(probability / (1 - probability))

"""A fitted model written as readable YAML: integer points, the labels of the rules, and beside
each threshold the probability of converting it stands for."""

from __future__ import annotations

from datetime import date
from typing import Any

import yaml

from scoring.fit import FitSettings, Learnt, scale_and_offset
from scoring.model import ScoringModel

_NO_FLOOR = -1000  # the fitted score already weighs fit: no separate floor


def fitted_yaml(
    *,
    learnt: Learnt,
    current: ScoringModel,
    settings: FitSettings,
    samples: int,
    converted: int,
    fitted_on: date,
) -> str:
    """The YAML text of the fitted model (valid: ``parse_model`` reads it back)."""
    scale, offset = scale_and_offset(settings)
    fit = sorted(_points(learnt.candidate.fit, learnt.weights, scale), key=lambda rule: -abs(rule["points"]))
    fit = [rule for rule in fit if rule["points"]]
    # Engagement rules keep their order and their zeros: the first rule that matches takes the event.
    engagement = _without_idle_zeros(_points(learnt.candidate.engagement, learnt.weights, scale))
    thresholds = current.thresholds
    lines = [
        f"# Fitted by `handoff model fit --outcomes` on {fitted_on.isoformat()} from {samples:,} leads "
        f"({converted:,} converted),",
        f"# starting from {current.label}. Held-out ROC AUC {learnt.held_out_auc:.3f}"
        f" ({settings.folds}-fold).",
        f"# {scale:.1f} points are one unit of log-odds of converting; thresholds sit at the"
        " probabilities noted.",
        "name: fitted",
        "version: 1",
        f"base: {round(learnt.intercept * scale + offset)}",
        "",
        "thresholds:",
        f"  mql: 50      # p(converts) ≥ {settings.mql_probability:.2f}",
        f"  sql: 100     # p(converts) ≥ {settings.sql_probability:.2f}",
        f"  sql_min_fit: {_NO_FLOOR}   # the fitted score weighs fit already",
        f"  hand_raise: {_flow(list(thresholds.hand_raise))}",
        f"  hand_raise_min_fit: {_NO_FLOOR}",
        f"  hand_raise_max_age_days: {thresholds.hand_raise_max_age_days:g}",
        "",
        f"lifecycle: {_flow(current.lifecycle.model_dump())}",
        "",
        "fit:" if fit else "fit: []",
        *(f"  - {_flow(rule)}" for rule in fit),
        "",
        "engagement:" if engagement else "engagement: []",
        *(f"  - {_flow(rule)}" for rule in engagement),
    ]
    if current.events:
        events = {name: display.model_dump(exclude_defaults=True) for name, display in current.events.items()}
        lines += ["", yaml.safe_dump({"events": events}, sort_keys=False, allow_unicode=True).rstrip()]
    return "\n".join(lines) + "\n"


def _points(rules: Any, weights: dict[str, float], scale: float) -> list[dict[str, Any]]:
    return [
        rule.model_dump(exclude_defaults=True) | {"points": round(weights.get(rule.id, 0.0) * scale)}
        for rule in rules
    ]


def _without_idle_zeros(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Zero-point rules only where a later rule of their event type scores (they keep its events
    from it); elsewhere a zero changes nothing and is left out."""
    kept = []
    for index, rule in enumerate(rules):
        later = (other for other in rules[index + 1 :] if other["event"] == rule["event"] and other["points"])
        if rule["points"] or next(later, None) is not None:
            kept.append(rule)
    return kept


def _flow(value: Any) -> str:
    return yaml.safe_dump(
        _whole(value), default_flow_style=True, width=10_000, sort_keys=False, allow_unicode=True
    ).strip()


def _whole(value: Any) -> Any:
    """Whole floats as integers (``min: 100``, not ``min: 100.0``), all the way down."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_whole(item) for item in value]
    return value

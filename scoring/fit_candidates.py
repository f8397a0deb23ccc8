"""The rules ``handoff model fit`` may learn points for, as a model of unit points: the current
model's tests, frequent values and missing values of profile fields and attributes, numeric
thresholds, and one diminishing-returns rule per event type (per unit of its numeric property
when it has one). Scoring a sample under it gives the features: each rule's contribution."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from scoring.conditions import number
from scoring.model import ScoringModel

if TYPE_CHECKING:
    from scoring.fit import Sample

CATEGORICAL = ("industry", "country", "source", "campaign")
MAY_BE_MISSING = ("title", "company", "industry", "company_size", "country")
_NUMERIC_SHARE = 0.9


def candidate_model(
    samples: Sequence[Sample], current: ScoringModel, *, min_share: float = 0.01
) -> ScoringModel:
    """Every candidate rule at one point (engagement rules on a log curve, without decay or cap)."""
    least = max(5, int(len(samples) * min_share))
    fit = [*_current_fit(current), *_profile_rules(samples, least)]
    engagement = [*_current_engagement(current), *_event_rules(samples)]
    return ScoringModel.model_validate(
        {
            "name": "candidates",
            "thresholds": {"mql": 1, "sql": 1},
            "fit": _unique(fit),
            "engagement": _unique(engagement),
        }
    )


def _current_fit(current: ScoringModel) -> Iterable[dict[str, Any]]:
    for rule in current.fit:
        tests = [(name, condition.model_dump(exclude_none=True)) for name, condition in rule.tests]
        if len(tests) == 1:
            (name, when), *_ = tests
            yield _rule(rule.id, rule.label, name, when)
        else:
            all_of = [{"field": name, **when} for name, when in tests]
            yield {"id": rule.id, "label": rule.label, "all_of": all_of, "points": 1}


def _current_engagement(current: ScoringModel) -> Iterable[dict[str, Any]]:
    for rule in current.engagement:
        where = {
            key: test if isinstance(test, str) else test.model_dump(exclude_none=True)
            for key, test in rule.where.items()
        }
        per = {"per": rule.per} if rule.per else {}
        yield {
            "id": rule.id,
            "label": rule.label,
            "event": rule.event,
            "where": where,
            **per,
            "points": 1,
            "curve": "log",
        }


def _profile_rules(samples: Sequence[Sample], least: int) -> Iterable[dict[str, Any]]:
    values: dict[str, Counter[str]] = defaultdict(Counter)
    written: dict[tuple[str, str], str] = {}
    numbers: dict[str, list[float]] = defaultdict(list)
    present: Counter[str] = Counter()
    for sample in samples:
        fields = {name: sample.profile.value_of(name) for name in (*CATEGORICAL, *MAY_BE_MISSING)}
        fields |= {f"attributes.{key}": value for key, value in sample.profile.attributes}
        for name, value in fields.items():
            if value in (None, "") or (isinstance(value, str) and not value.strip()):
                continue
            present[name] += 1
            if (found := number(value)) is not None and not isinstance(value, str):
                numbers[name].append(found)
            elif name in CATEGORICAL or name.startswith("attributes."):
                text = str(value).strip()
                values[name][text.lower()] += 1
                written.setdefault((name, text.lower()), text)
    for name, counts in values.items():
        for value, count in counts.items():
            if least <= count <= len(samples) - least:
                shown = written[(name, value)]
                yield _rule(
                    f"{name}_{value}",
                    f"{_field_words(name).capitalize()} is {shown}",
                    name,
                    {"equals": shown},
                )
    for name in (*MAY_BE_MISSING, *(key for key in present if key.startswith("attributes."))):
        if least <= len(samples) - present[name] <= len(samples) - least:
            yield _rule(f"no_{name}", f"No {_field_words(name)}", name, {"missing": True})
    for name, measured in numbers.items():
        for cut in _quartiles(measured):
            label = f"{_field_words(name).capitalize()} at least {cut:g}"
            yield _rule(f"{name}_min_{cut:g}", label, name, {"min": cut})


def _event_rules(samples: Sequence[Sample]) -> Iterable[dict[str, Any]]:
    seen: Counter[str] = Counter()
    numeric: dict[str, Counter[str]] = defaultdict(Counter)
    for sample in samples:
        for event in sample.events:
            seen[event.type] += 1
            for key, value in event.properties.items():
                if number(value) is not None and not isinstance(value, bool):
                    numeric[event.type][key] += 1
    for event_type, count in sorted(seen.items()):
        units = [key for key, hits in numeric[event_type].most_common(1) if hits >= _NUMERIC_SHARE * count]
        words = event_type.replace("_", " ")
        if units:
            label = f"{units[0].replace('_', ' ').capitalize()} in {words}"
            yield {
                "id": f"{event_type}_{units[0]}",
                "label": label,
                "event": event_type,
                "per": units[0],
                "points": 1,
                "curve": "log",
            }
        else:
            yield {
                "id": f"{event_type}_any",
                "label": f"Each {words}",
                "event": event_type,
                "points": 1,
                "curve": "log",
            }


def _rule(key: str, label: str, name: str, test: dict[str, Any]) -> dict[str, Any]:
    return {"id": key, "label": label, "field": name, "when": test, "points": 1}


def _field_words(name: str) -> str:
    return name.removeprefix("attributes.").replace("_", " ")


def _quartiles(found: list[float]) -> list[float]:
    ordered = sorted(found)
    cuts = {ordered[len(ordered) * share // 4] for share in (1, 2, 3)}
    return sorted(cut for cut in cuts if cut > ordered[0])


def _unique(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rule ids made valid (lower-case letters, digits, _) and unique, in order."""
    used: set[str] = set()
    for rule in rules:
        base = re.sub(r"[^a-z0-9_]+", "_", rule["id"].lower()).strip("_")[:50] or "rule"
        rule_id, n = base, 1
        while rule_id in used:
            n += 1
            rule_id = f"{base}_{n}"
        used.add(rule_id)
        rule["id"] = rule_id
    return rules

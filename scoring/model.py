"""The scoring model: a validated description of fit rules, engagement rules and thresholds.

A model is written in YAML by RevOps and loaded with :func:`scoring.loader.load_model`.
Everything here is pure data and validation; nothing reads files or the clock.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from fnmatch import fnmatchcase
from functools import cached_property
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from scoring.conditions import Condition, FieldTest, Strict, number, profile_field
from scoring.event_display import FREE_MAIL_DOMAINS, EventDisplay, display_for
from scoring.outcomes import OUTCOME_EVENTS
from scoring.types import Contribution

_MEMO_SIZE = 10_000
_MEMO_KEY_CHARS = 500
SECONDS_PER_DAY = 86_400.0
#: The id of the model's ``base`` points among a score's contributions.
BASE_RULE_ID = "base"
DecayTerm = tuple[float | None, float | None, float | None]  # half-life in seconds, cap, log points


class FitRule(Strict):
    """Points for a profile that passes a test; ``disqualify`` blocks MQL and SQL entirely.

    The test is ``field`` with ``when``, or ``all_of``: several field tests that must all pass."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    field: str | None = None
    when: Condition | None = None
    all_of: tuple[FieldTest, ...] | None = None
    points: float = 0
    disqualify: bool = False
    group: str | None = Field(default=None, description="only the first matching rule of a group counts")

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str | None) -> str | None:
        return None if name is None else profile_field(name)

    @model_validator(mode="after")
    def _one_test_that_does_something(self) -> FitRule:
        single = self.field is not None or self.when is not None
        if single == bool(self.all_of) or (single and (self.field is None or self.when is None)):
            raise ValueError("give field and when, or all_of (a list of tests each with its field)")
        if self.points == 0 and not self.disqualify:
            raise ValueError("a fit rule needs points or disqualify: true")
        return self

    @cached_property
    def tests(self) -> tuple[tuple[str, Condition], ...]:
        """The (field, condition) pairs that must all pass."""
        if self.all_of is not None:
            return tuple((test.field, test) for test in self.all_of)
        assert self.field is not None
        assert self.when is not None
        return ((self.field, self.when),)

    def matches(self, value_of: Callable[[str], Any]) -> bool:
        """Whether the profile (``value_of``: its value for a field name) passes every test."""
        return all(condition.test(value_of(name)) for name, condition in self.tests)


class EngagementRule(Strict):
    """Points per event of a type (optionally only when its properties match), capped and decaying.

    ``where`` tests properties: a glob pattern, or a condition such as ``{min: 10}`` or
    ``{missing: true}``. ``per`` names a numeric property: points per unit of it. ``curve: log``
    gives diminishing returns: each doubling of the (decayed) count or units adds ``points``.
    ``points: 0`` makes the events it matches count for nothing (and for no later rule)."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    event: str = Field(pattern=r"^[a-z0-9_]+$")
    where: dict[str, str | Condition] = Field(default_factory=dict, description="property -> test")
    points: float
    per: str | None = Field(default=None, min_length=1, description="numeric property: points per unit")
    curve: Literal["linear", "log"] = "linear"
    cap: float | None = Field(default=None, gt=0, description="bound on the size of this rule's total")
    half_life_days: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _negative_rules_do_not_decay(self) -> EngagementRule:
        if self.points < 0 and self.half_life_days is not None:
            raise ValueError(
                "a negative rule cannot decay: its penalty would fade and the score rise with time"
            )
        return self

    def applies_to(self, event_type: str, properties: Mapping[str, Any]) -> bool:
        """Whether an event of this type and properties is scored by this rule."""
        if event_type != self.event:
            return False
        return all(_passes(test, properties, key) for key, test in self.where.items())

    def units(self, properties: Mapping[str, Any]) -> float:
        """How much of the rule one event brings: 1, or its ``per`` property (0 when not a
        non-negative number)."""
        if self.per is None:
            return 1.0
        return max(0.0, number(properties.get(self.per)) or 0.0)

    def increment(self, properties: Mapping[str, Any]) -> float:
        """What one event adds to the rule's running sum: points (linear) or units (log)."""
        units = self.units(properties)
        return self.points * units if self.curve == "linear" else units

    def shaped(self, value: float) -> float:
        """A running sum (decayed) as points, before the cap."""
        return value if self.curve == "linear" else self.points * math.log2(1.0 + value)


def _memo_value(value: Any) -> tuple[type, str]:
    # The type too: a glob reads True and "True" alike, a numeric test does not.
    return type(value), str(value)


def _passes(test: str | Condition, properties: Mapping[str, Any], key: str) -> bool:
    if isinstance(test, Condition):
        return test.test(properties.get(key))
    return fnmatchcase(str(properties.get(key, "")).lower(), test.lower())


class Thresholds(Strict):
    """Where stages begin. A hand-raise makes an SQL at once unless the lead is disqualified."""

    mql: float = Field(gt=0)
    sql: float = Field(gt=0)
    sql_min_fit: float = 0
    hand_raise: tuple[str, ...] = ("demo_request", "contact_sales")
    hand_raise_min_fit: float = Field(
        default=-20, description="a hand-raise from a lead with less fit is counted, not carded"
    )
    hand_raise_max_age_days: float = Field(
        default=14,
        gt=0,
        description="an SQL that qualified longer ago than this (an import) is history: no card",
    )

    @model_validator(mode="after")
    def _sql_above_mql(self) -> Thresholds:
        if self.sql < self.mql:
            raise ValueError("sql must be at least mql")
        return self


class LifecycleRules(Strict):
    """How leads come back round after a decision, and when a faded MQL expires."""

    rejected_cool_off_days: float = Field(
        default=90, gt=0, description="a rejected lead returns to nurture after this long"
    )
    expire_after_days: float = Field(
        default=90, gt=0, description="an MQL whose score stays below the MQL threshold this long expires"
    )


class ScoringModel(Strict):
    """A whole scoring model as written in YAML."""

    name: str
    version: int = 1
    base: float = Field(default=0, description="points every lead starts with (part of fit)")
    thresholds: Thresholds
    lifecycle: LifecycleRules = LifecycleRules()
    fit: tuple[FitRule, ...] = ()
    engagement: tuple[EngagementRule, ...] = ()
    known_events: tuple[str, ...] = Field(
        default=(), description="event types accepted without points besides those of the rules"
    )
    events: dict[str, EventDisplay] = Field(
        default_factory=dict, description="per event type: the label and properties a card shows"
    )

    @field_validator("events")
    @classmethod
    def _event_types_are_ids(cls, events: dict[str, EventDisplay]) -> dict[str, EventDisplay]:
        for event_type in events:
            if not re.fullmatch(r"[a-z0-9_]+", event_type):
                raise ValueError(f"{event_type!r} is not an event type (lower-case letters, digits and _)")
        return events

    @model_validator(mode="after")
    def _rule_ids_unique(self) -> ScoringModel:
        ids = [rule.id for rule in self.fit] + [rule.id for rule in self.engagement]
        repeated = sorted({rule_id for rule_id in ids if ids.count(rule_id) > 1})
        if repeated:
            raise ValueError(f"rule ids must be unique; repeated: {', '.join(repeated)}")
        scoring_outcomes = sorted({rule.event for rule in self.engagement} & OUTCOME_EVENTS.keys())
        if scoring_outcomes or set(self.thresholds.hand_raise) & OUTCOME_EVENTS.keys():
            named = ", ".join(scoring_outcomes) or ", ".join(
                sorted(set(self.thresholds.hand_raise) & OUTCOME_EVENTS.keys())
            )
            raise ValueError(
                f"{named}: outcome events score nothing and raise no hand (they mark the lead's outcome)"
            )
        if BASE_RULE_ID in ids and self.base:
            raise ValueError(f"the rule id {BASE_RULE_ID!r} names the model's base points: rename that rule")
        return self

    def engagement_rule_for(self, event_type: str, properties: Mapping[str, Any]) -> EngagementRule | None:
        """The first engagement rule that scores this event, in the order the model lists them."""
        keys = self._where_keys_by_event.get(event_type)
        if keys is None:
            return None
        if not keys:
            return self._rules_by_event[event_type][0]
        values = tuple([_memo_value(properties.get(key, "")) for key in keys])
        memo = self._rule_memo
        memo_key: tuple[object, ...] = (event_type, values)
        if memo_key in memo:
            return memo[memo_key]
        rules = self._rules_by_event[event_type]
        rule = next((rule for rule in rules if rule.applies_to(event_type, properties)), None)
        if sum(len(text) for _, text in values) <= _MEMO_KEY_CHARS:  # long values would make a large memo
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[memo_key] = rule
        return rule

    def engagement_rule(self, rule_id: str) -> EngagementRule | None:
        """The engagement rule with this id, if the model has it."""
        return self._engagement_by_id.get(rule_id)

    def knows_event(self, event_type: str) -> bool:
        """Whether the event type is part of this model (scored or explicitly known)."""
        return (
            event_type in self.known_events
            or event_type in self._rules_by_event
            or event_type in OUTCOME_EVENTS
        )

    @cached_property
    def _rules_by_event(self) -> dict[str, tuple[EngagementRule, ...]]:
        by_event: dict[str, list[EngagementRule]] = {}
        for rule in self.engagement:
            by_event.setdefault(rule.event, []).append(rule)
        return {event: tuple(rules) for event, rules in by_event.items()}

    @cached_property
    def _where_keys_by_event(self) -> dict[str, tuple[str, ...]]:
        # The properties an event type's rules read: the rule an event gets depends on these only.
        return {
            event: tuple(sorted({key for rule in rules for key in rule.where}))
            for event, rules in self._rules_by_event.items()
        }

    @cached_property
    def _engagement_by_id(self) -> dict[str, EngagementRule]:
        return {rule.id: rule for rule in self.engagement}

    @cached_property
    def decay_terms(self) -> dict[str, DecayTerm]:
        """Each engagement rule's half-life in seconds (None: no decay), cap, and for a ``log``
        curve its points (None: linear), by rule id."""
        return {
            rule.id: (
                rule.half_life_days * SECONDS_PER_DAY if rule.half_life_days is not None else None,
                rule.cap,
                rule.points if rule.curve == "log" else None,
            )
            for rule in self.engagement
        }

    @cached_property
    def fit_cache(self) -> dict[tuple[object, ...], Any]:
        """Memo of fit results by the profile values fit rules read (the engine fills it)."""
        return {}

    @cached_property
    def fit_contributions_made(self) -> dict[str, Contribution]:
        """Each fit rule's contribution by rule id: the same whenever it matches, so made once."""
        return {
            rule.id: Contribution(
                rule_id=rule.id,
                label=rule.label,
                kind="fit",
                points=rule.points,
                disqualifies=rule.disqualify,
            )
            for rule in self.fit
        }

    @cached_property
    def base_contribution(self) -> Contribution:
        """The base score's contribution."""
        return Contribution(rule_id=BASE_RULE_ID, label="Base score", kind="fit", points=self.base)

    @cached_property
    def fit_test_memo(self) -> dict[tuple[int, type, object], tuple[bool, ...]]:
        """Memo of the answers of the conditions on one field (``fit_fields``) by that field's
        value (the engine fills it)."""
        return {}

    @cached_property
    def fit_by_answers(self) -> dict[tuple[tuple[bool, ...], ...], Any]:
        """Memo of fit results by every field's answers (the engine fills it): a handful of
        combinations, however many profiles."""
        return {}

    @cached_property
    def fit_fields(self) -> tuple[tuple[str, tuple[Condition, ...]], ...]:
        """Each field fit rules read, with every condition tested on it, in the order rules use them."""
        fields: dict[str, list[Condition]] = {}
        for rule in self.fit:
            for name, condition in rule.tests:
                fields.setdefault(name, []).append(condition)
        return tuple((name, tuple(conditions)) for name, conditions in fields.items())

    @cached_property
    def fit_test_slots(self) -> tuple[tuple[tuple[int, int], ...], ...]:
        """For each fit rule, where each of its conditions' answers is: (field, condition) in
        ``fit_fields``."""
        field_slots = {name: slot for slot, (name, _) in enumerate(self.fit_fields)}
        used: dict[str, int] = {}
        slots: list[tuple[tuple[int, int], ...]] = []
        for rule in self.fit:
            pairs = []
            for name, _ in rule.tests:
                pairs.append((field_slots[name], used.get(name, 0)))
                used[name] = used.get(name, 0) + 1
            slots.append(tuple(pairs))
        return tuple(slots)

    @cached_property
    def _rule_memo(self) -> dict[tuple[object, ...], EngagementRule | None]:
        # A plain attribute once computed: pydantic's private attributes are slower to reach.
        return {}

    @property
    def label(self) -> str:
        """The model as people name it: its name and version."""
        return f"{self.name} v{self.version}"

    @cached_property
    def fingerprint(self) -> str:
        """A digest of everything the model says: equal models score alike."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def event_display(self, event_type: str) -> EventDisplay:
        """How an event of ``event_type`` reads on a card (declared, built-in, or its own words)."""
        return display_for(event_type, self.events)

    @cached_property
    def free_mail_domains(self) -> frozenset[str]:
        """Free-mail domains: the built-in list and those of the model's free-mail fit rules
        (negative, not disqualifying, on ``email_domain``)."""
        from_rules = {
            option.lower()
            for rule in self.fit
            if rule.points < 0 and not rule.disqualify and rule.all_of is None
            for name, when in rule.tests
            if name == "email_domain"
            for option in (*(when.one_of or ()), *((when.equals,) if when.equals else ()))
        }
        return FREE_MAIL_DOMAINS | from_rules

    def rule(self, rule_id: str) -> FitRule | EngagementRule | None:
        """The rule with this id, if the model has it."""
        rules: list[FitRule | EngagementRule] = [*self.fit, *self.engagement]
        return next((rule for rule in rules if rule.id == rule_id), None)

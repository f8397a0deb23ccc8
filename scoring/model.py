"""The scoring model: a validated description of fit rules, engagement rules and thresholds.

A model is written in YAML by RevOps and loaded with :func:`scoring.loader.load_model`.
Everything here is pure data and validation; nothing reads files or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from fnmatch import fnmatchcase
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from scoring.event_display import FREE_MAIL_DOMAINS, EventDisplay, display_for

_MEMO_SIZE = 10_000
SECONDS_PER_DAY = 86_400.0
_MEMO_KEY_CHARS = 500

#: Profile fields a fit rule may test. ``email_domain`` is derived from the email.
FitField = Literal[
    "email_domain",
    "title",
    "company",
    "industry",
    "company_size",
    "country",
    "source",
    "campaign",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """A test on one value: exactly one of ``equals``, ``one_of``, ``matches``, or a range."""

    equals: str | None = None
    one_of: tuple[str, ...] | None = Field(default=None, min_length=1)
    matches: str | None = Field(default=None, description="regular expression, case-insensitive")
    min: float | None = None
    max: float | None = None

    @field_validator("matches")
    @classmethod
    def _regex_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return pattern

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Condition:
        tests = [self.equals is not None, self.one_of is not None, self.matches is not None]
        ranged = self.min is not None or self.max is not None
        if sum(tests) + ranged != 1:
            raise ValueError("give exactly one of equals, one_of, matches, or min/max")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self

    def test(self, value: str | int | None) -> bool:
        """Whether ``value`` satisfies this condition (a missing value never does)."""
        if value is None or value == "":
            return False
        if self.min is not None or self.max is not None:
            return _in_range(value, self.min, self.max)
        text = str(value).strip().lower()
        if self.equals is not None:
            return text == self.equals.lower()
        if self.one_of is not None:
            return text in self._options
        return self._regex.search(text) is not None

    @cached_property
    def _options(self) -> frozenset[str]:
        return frozenset(option.lower() for option in self.one_of or ())

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(self.matches or "", re.IGNORECASE)


def _in_range(value: str | int, low: float | None, high: float | None) -> bool:
    try:
        number = float(value)
    except ValueError:
        return False
    return (low is None or number >= low) and (high is None or number <= high)


class FitRule(_Strict):
    """Points for a profile field that matches; ``disqualify`` blocks MQL and SQL entirely."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    field: FitField
    when: Condition
    points: float = 0
    disqualify: bool = False
    group: str | None = Field(default=None, description="only the first matching rule of a group counts")

    @model_validator(mode="after")
    def _does_something(self) -> FitRule:
        if self.points == 0 and not self.disqualify:
            raise ValueError("a fit rule needs points or disqualify: true")
        return self


class EngagementRule(_Strict):
    """Points per event of a type (optionally only when its properties match), capped and decaying."""

    id: str = Field(pattern=r"^[a-z0-9_]+$")
    label: str
    event: str = Field(pattern=r"^[a-z0-9_]+$")
    where: dict[str, str] = Field(default_factory=dict, description="property -> glob pattern")
    points: float
    cap: float | None = Field(default=None, gt=0, description="bound on the size of this rule's total")
    half_life_days: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _negative_rules_do_not_decay(self) -> EngagementRule:
        if self.points == 0:
            raise ValueError("points must not be 0")
        if self.points < 0 and self.half_life_days is not None:
            raise ValueError(
                "a negative rule cannot decay: its penalty would fade and the score rise with time"
            )
        return self

    def applies_to(self, event_type: str, properties: Mapping[str, Any]) -> bool:
        """Whether an event of this type and properties is scored by this rule."""
        if event_type != self.event:
            return False
        return all(
            fnmatchcase(str(properties.get(key, "")).lower(), pattern.lower())
            for key, pattern in self.where.items()
        )


class Thresholds(_Strict):
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


class LifecycleRules(_Strict):
    """How leads come back round after a decision, and when a faded MQL expires."""

    rejected_cool_off_days: float = Field(
        default=90, gt=0, description="a rejected lead returns to nurture after this long"
    )
    expire_after_days: float = Field(
        default=90, gt=0, description="an MQL whose score stays below the MQL threshold this long expires"
    )


class ScoringModel(_Strict):
    """A whole scoring model as written in YAML."""

    name: str
    version: int = 1
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
        return self

    def engagement_rule_for(self, event_type: str, properties: Mapping[str, Any]) -> EngagementRule | None:
        """The first engagement rule that scores this event, in the order the model lists them."""
        keys = self._where_keys_by_event.get(event_type)
        if keys is None:
            return None
        if not keys:
            return self._rules_by_event[event_type][0]
        values = tuple(str(properties.get(key, "")) for key in keys)
        memo = self._rule_memo
        memo_key = (event_type, *values)
        if memo_key in memo:
            return memo[memo_key]
        rules = self._rules_by_event[event_type]
        rule = next((rule for rule in rules if rule.applies_to(event_type, properties)), None)
        if sum(map(len, values)) <= _MEMO_KEY_CHARS:  # long values would make a large memo
            if len(memo) >= _MEMO_SIZE:
                memo.clear()
            memo[memo_key] = rule
        return rule

    def engagement_rule(self, rule_id: str) -> EngagementRule | None:
        """The engagement rule with this id, if the model has it."""
        return self._engagement_by_id.get(rule_id)

    def knows_event(self, event_type: str) -> bool:
        """Whether the event type is part of this model (scored or explicitly known)."""
        return event_type in self.known_events or event_type in self._rules_by_event

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
    def decay_terms(self) -> dict[str, tuple[float | None, float | None]]:
        """Each engagement rule's half-life in seconds (None: no decay) and cap, by rule id."""
        return {
            rule.id: (
                rule.half_life_days * SECONDS_PER_DAY if rule.half_life_days is not None else None,
                rule.cap,
            )
            for rule in self.engagement
        }

    @cached_property
    def fit_cache(self) -> dict[tuple[object, ...], Any]:
        """Memo of fit results by the profile values fit rules read (the engine fills it)."""
        return {}

    @cached_property
    def _rule_memo(self) -> dict[tuple[str, ...], EngagementRule | None]:
        # A plain attribute once computed: pydantic's private attributes are slower to reach.
        return {}

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
            if rule.field == "email_domain" and rule.points < 0 and not rule.disqualify
            for option in (*(rule.when.one_of or ()), *((rule.when.equals,) if rule.when.equals else ()))
        }
        return FREE_MAIL_DOMAINS | from_rules

    def rule(self, rule_id: str) -> FitRule | EngagementRule | None:
        """The rule with this id, if the model has it."""
        rules: list[FitRule | EngagementRule] = [*self.fit, *self.engagement]
        return next((rule for rule in rules if rule.id == rule_id), None)

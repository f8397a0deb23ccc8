"""The scoring engine: fit from the profile, decayed engagement from a ledger of events.

Engagement is kept as a per-rule ledger rather than a list of events: exponential decay lets a
rule's running sum be carried forward in time exactly, so a lead is re-scored from its ledger and
its new events only, never by re-reading its whole history.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scoring.conditions import Condition
from scoring.model import SECONDS_PER_DAY, DecayTerm, EngagementRule, ScoringModel
from scoring.types import Contribution, Event, LeadProfile, Score, ScoreTotals


@dataclass(slots=True)
class RuleTally:
    """A rule's running sum: its events, raw points, and points decayed to ``last_ts``."""

    events: int
    raw: float
    decayed_at_last: float
    last_ts: float

    def add(self, points: float, ts: float, half_life_days: float | None) -> None:
        """Add one event's points, carrying the decayed sum to the later of the two times."""
        self.events += 1
        self.raw += points
        if ts >= self.last_ts:
            self.decayed_at_last = self.decayed_at_last * _decay(ts - self.last_ts, half_life_days) + points
            self.last_ts = ts
        else:
            self.decayed_at_last += points * _decay(self.last_ts - ts, half_life_days)

    def value_at(self, ts: float, half_life_days: float | None) -> float:
        """The decayed sum as seen at ``ts`` (events never count for more than their points)."""
        return self.decayed_at_last * _decay(max(0.0, ts - self.last_ts), half_life_days)


def _decay(seconds: float, half_life_days: float | None) -> float:
    if half_life_days is None or seconds <= 0:
        return 1.0
    return float(0.5 ** (seconds / (half_life_days * SECONDS_PER_DAY)))


class EngagementLedger:
    """A lead's engagement, one :class:`RuleTally` per rule that has scored."""

    def __init__(self, tallies: dict[str, RuleTally] | None = None) -> None:
        self.tallies: dict[str, RuleTally] = tallies or {}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EngagementLedger) and self.tallies == other.tallies

    __hash__ = None  # type: ignore[assignment]

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> EngagementLedger:
        """Rebuild a ledger from :meth:`to_json` output."""
        return cls({rule_id: RuleTally(*values) for rule_id, values in (data or {}).items()})

    def to_json(self) -> dict[str, list[float]]:
        """The ledger as plain JSON-ready data."""
        return {
            rule_id: [t.events, t.raw, t.decayed_at_last, t.last_ts] for rule_id, t in self.tallies.items()
        }

    def record(self, model: ScoringModel, event: Event) -> EngagementRule | None:
        """Add an event; returns the rule that scored it, or None if no rule applies."""
        rule = model.engagement_rule_for(event.type, event.properties)
        if rule is not None:
            self._add(rule, event.occurred_at.timestamp(), rule.increment(event.properties))
        return rule

    def with_event(self, model: ScoringModel, event: Event) -> tuple[EngagementLedger, EngagementRule | None]:
        """A new ledger with ``event`` added, this one left as it was; and the rule that scored it."""
        rule = model.engagement_rule_for(event.type, event.properties)
        if rule is None:
            return self, None
        return self.adding(rule, event.occurred_at.timestamp(), event.properties), rule

    def adding(self, rule: EngagementRule, ts: float, properties: Mapping[str, Any]) -> EngagementLedger:
        """A new ledger with one event of ``rule`` at ``ts`` added, this one left as it was."""
        copy = EngagementLedger(dict(self.tallies))
        copy.replace_adding(rule, ts, properties)
        return copy

    def replace_adding(
        self, rule: EngagementRule, ts: float, properties: Mapping[str, Any]
    ) -> RuleTally | None:
        """Add one event of ``rule`` at ``ts`` to this ledger by replacing the rule's tally (the old
        one is never changed: other ledgers may share it); returns the tally replaced."""
        old = self.tallies.get(rule.id)
        increment = rule.increment(properties)
        if old is None:
            self.tallies[rule.id] = RuleTally(1, increment, increment, ts)
        else:
            tally = RuleTally(old.events, old.raw, old.decayed_at_last, old.last_ts)
            tally.add(increment, ts, rule.half_life_days)
            self.tallies[rule.id] = tally
        return old

    def undoing(self, rule_id: str, old: RuleTally | None) -> EngagementLedger:
        """A new ledger as this one was before :meth:`replace_adding` replaced ``old`` (its tallies
        in the same order)."""
        tallies = dict(self.tallies)
        if old is None:
            del tallies[rule_id]
        else:
            tallies[rule_id] = old
        return EngagementLedger(tallies)

    def _add(self, rule: EngagementRule, ts: float, increment: float) -> None:
        tally = self.tallies.get(rule.id)
        if tally is None:
            self.tallies[rule.id] = RuleTally(1, increment, increment, ts)
        else:
            tally.add(increment, ts, rule.half_life_days)

    def engagement_total(self, model: ScoringModel, at: datetime) -> float:
        """The sum of :meth:`contributions`' points, computed without building them (the hot path:
        the same arithmetic as :meth:`RuleTally.value_at`, ``EngagementRule.shaped`` and
        :func:`_capped`, inlined)."""
        ts = at.timestamp()
        terms = model.decay_terms
        total = 0.0
        for rule_id, tally in self.tallies.items():
            term = terms.get(rule_id)
            if term is None:
                continue
            half_life_seconds, cap, log_points = term
            value = tally.decayed_at_last
            elapsed = ts - tally.last_ts
            if half_life_seconds is not None and elapsed > 0:
                value *= 0.5 ** (elapsed / half_life_seconds)
            if log_points is not None:
                value = log_points * math.log2(1.0 + value)
            if cap is not None:
                value = -cap if value < -cap else cap if value > cap else value
            total += round(value, 2)
        return total

    def ceiling(self, model: ScoringModel) -> float:
        """The most :meth:`engagement_total` can be at any moment from the ledger's last events on
        (decay only brings a running sum towards 0), each rule's rounding included."""
        terms = model.decay_terms
        return sum(tally_ceiling(terms.get(rule_id), tally) for rule_id, tally in self.tallies.items())

    def contributions(self, model: ScoringModel, at: datetime) -> list[Contribution]:
        """Each rule's decayed and capped points at ``at``."""
        ts = at.timestamp()
        result = []
        for rule in model.engagement:
            tally = self.tallies.get(rule.id)
            if tally is None:
                continue
            value = rule.shaped(tally.value_at(ts, rule.half_life_days))
            capped = _capped(value, rule.cap)
            result.append(
                Contribution(
                    rule_id=rule.id,
                    label=rule.label,
                    kind="engagement",
                    points=round(capped, 2),
                    raw_points=rule.shaped(tally.raw),
                    events=tally.events,
                    last_at=datetime.fromtimestamp(tally.last_ts, UTC),
                    capped=capped != value,
                )
            )
        return result


def tally_ceiling(term: DecayTerm | None, tally: RuleTally | None) -> float:
    """The most a rule's tally can add to :meth:`EngagementLedger.engagement_total` from its last
    event on: its decayed value lies between 0 and its value then; shape and cap keep the order."""
    if term is None or tally is None:
        return 0.0
    _, cap, log_points = term
    value = tally.decayed_at_last
    if log_points is not None:
        value = log_points * math.log2(1.0 + value)
    if cap is not None and value > cap:
        value = cap
    return (value if value > 0.0 else 0.0) + 0.005


def _capped(value: float, cap: float | None) -> float:
    if cap is None:
        return value
    return max(-cap, min(cap, value))


_FIT_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class _Fit:
    contributions: tuple[Contribution, ...]
    points: float
    disqualified: bool


def fit_contributions(model: ScoringModel, profile: LeadProfile) -> tuple[Contribution, ...]:
    """The fit rules that match the profile; within a group only the first match counts."""
    return _fit(model, profile).contributions


def fit_points(model: ScoringModel, profile: LeadProfile) -> float:
    """The profile's fit points."""
    return _fit(model, profile).points


def disqualifies(model: ScoringModel, profile: LeadProfile) -> bool:
    """Whether a fit rule the profile matches disqualifies the lead (whatever its score)."""
    return _fit(model, profile).disqualified


def _fit(model: ScoringModel, profile: LeadProfile) -> _Fit:
    memo = profile.fit_memo
    if memo is not None and memo[0] is model:
        return memo[1]  # type: ignore[no-any-return]
    found = _fit_by_values(model, profile)
    object.__setattr__(profile, "fit_memo", (model, found))  # one tuple, swapped whole: thread-safe
    return found


def _fit_by_values(model: ScoringModel, profile: LeadProfile) -> _Fit:
    key = profile.fit_key()
    cache = model.fit_cache
    found: _Fit | None = cache.get(key)
    if found is None:
        answers = tuple(
            _answers(model, slot, conditions, profile.value_of(name))
            for slot, (name, conditions) in enumerate(model.fit_fields)
        )
        found = _bounded(model.fit_by_answers).get(answers)
        if found is None:
            found = model.fit_by_answers[answers] = _fit_of(model, answers)
        _bounded(cache)[key] = found
    return found


def _answers(
    model: ScoringModel, slot: int, conditions: tuple[Condition, ...], value: object
) -> tuple[bool, ...]:
    """The answers of the conditions on the ``slot``-th field for its value, memoised (the value's
    type is part of the key: ``1 == 1.0 == True``)."""
    key = (slot, type(value), value)
    memo = model.fit_test_memo
    found = memo.get(key)
    if found is None:
        found = _bounded(memo)[key] = tuple(condition.test(value) for condition in conditions)
    return found


def _fit_of(model: ScoringModel, answers: tuple[tuple[bool, ...], ...]) -> _Fit:
    """The fit rules that match, given each field's answers; within a group only the first."""
    made = model.fit_contributions_made
    contributions = [model.base_contribution] if model.base else []
    groups_done: set[str] = set()
    for rule, slots in zip(model.fit, model.fit_test_slots, strict=True):
        if rule.group is not None and rule.group in groups_done:
            continue
        if not all(answers[field][test] for field, test in slots):
            continue
        if rule.group is not None:
            groups_done.add(rule.group)
        contributions.append(made[rule.id])
    return _Fit(
        contributions=tuple(contributions),
        points=round(sum(c.points for c in contributions), 2),
        disqualified=any(c.disqualifies for c in contributions),
    )


def _bounded(memo: dict[Any, Any]) -> dict[Any, Any]:
    """``memo``, emptied first once it holds _FIT_CACHE_SIZE entries."""
    if len(memo) >= _FIT_CACHE_SIZE:
        memo.clear()
    return memo


def score_lead(*, model: ScoringModel, profile: LeadProfile, ledger: EngagementLedger, at: datetime) -> Score:
    """A lead's score at ``at``: fit plus decayed engagement, with every contribution."""
    fit = _fit(model, profile)
    engagement = ledger.contributions(model, at)
    return Score(
        fit=fit.points,
        engagement=round(sum(c.points for c in engagement), 2),
        contributions=fit.contributions + tuple(engagement),
        disqualified=fit.disqualified,
        at=at,
    )


def score_totals(
    *, model: ScoringModel, profile: LeadProfile, ledger: EngagementLedger, at: datetime
) -> ScoreTotals:
    """The numbers of :func:`score_lead` without building its explanation (the ingestion fast path)."""
    fit = _fit(model, profile)
    engagement = round(ledger.engagement_total(model, at), 2)
    return ScoreTotals(fit.points, engagement, fit.disqualified, at, round(fit.points + engagement, 1))


def score_events(*, model: ScoringModel, profile: LeadProfile, events: list[Event], at: datetime) -> Score:
    """Score a lead from its whole list of events (the ledger built on the spot)."""
    ledger = EngagementLedger()
    for event in events:
        ledger.record(model, event)
    return score_lead(model=model, profile=profile, ledger=ledger, at=at)

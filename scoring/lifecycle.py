"""The lead lifecycle in event time: ``step(state, fact, model) -> Outcome``, a pure function.

lead ─score≥mql─► mql ─score≥sql & fit─► sql ─accept─► accepted ─hand-raise─► (owner told)
  └──────────── hand-raise (fit ≥ floor) ──┘  ├─reject──► rejected ─cool-off or hand-raise─► nurture / sql
mql ─below mql for a while─► expired          └─recycle─► recycled ─its date or hand-raise──► nurture / sql

Before a fact at ``t`` is applied, the time between the lead's last fact and ``t`` is played out:
a recycle date, the end of a rejection's cool-off, an MQL fading until it expires. Each move is
dated at the moment that caused it, never at the moment it was computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from scoring.engine import (
    EngagementLedger,
    RuleTally,
    disqualifies,
    fit_points,
    score_lead,
    score_totals,
    tally_ceiling,
)
from scoring.facts import (
    CardFact,
    Cause,
    DecisionFact,
    EarlierDecision,
    EventFact,
    Fact,
    LeadLife,
    Move,
    Outcome,
    Signal,
    SignalKind,
    Tick,
    Unseen,
    fact_order,
)
from scoring.fading import first_moment_below
from scoring.model import EngagementRule, ScoringModel
from scoring.outcomes import OUTCOME_EVENTS, outcome_of
from scoring.types import Decision, LeadProfile, ScoreTotals, Stage

_TOTAL_ROUNDING = 0.1  # more than a total's rounding adds (to one decimal, of a sum to two)
_DECIDED = {
    Decision.ACCEPT: Stage.ACCEPTED,
    Decision.REJECT: Stage.REJECTED,
    Decision.RECYCLE: Stage.RECYCLED,
}


class Fold:
    """A lead's facts applied one after another to a working copy of its state (the state it
    started from is never changed); the moves and signals they made, in order."""

    __slots__ = ("_ceiling", "_owns_ledger", "model", "moves", "signals", "state")

    def __init__(self, state: LeadLife, model: ScoringModel) -> None:
        self.model = model
        self.state = state.copy()
        self.moves: list[Move] = []
        self.signals: list[Signal] = []
        self._owns_ledger = False
        self._ceiling: float | None = None  # the working ledger's, once asked for

    def engage(self, rule: EngagementRule, event: EventFact) -> RuleTally | None:
        """Add the event to the working ledger (copied once, at the fold's first scored event, then
        changed in place); returns the rule's tally before it."""
        state = self.state
        if not self._owns_ledger:
            state.ledger = EngagementLedger(dict(state.ledger.tallies))
            self._owns_ledger = True
        old = state.ledger.replace_adding(rule, event.at.timestamp(), event.properties)
        if self._ceiling is not None:
            term = self.model.decay_terms.get(rule.id)
            self._ceiling += tally_ceiling(term, state.ledger.tallies[rule.id]) - tally_ceiling(term, old)
        return old

    def may_reach(self, threshold: float) -> bool:
        """Whether the lead's total could now be ``threshold`` or more; False where its fit and the
        ceiling of its engagement fall short (no exact total is then needed to know it is below)."""
        if self._ceiling is None:
            self._ceiling = self.state.ledger.ceiling(self.model)
        return fit_points(self.model, self.state.profile) + self._ceiling + _TOTAL_ROUNDING >= threshold

    def apply(self, fact: Fact) -> None:
        """Play out the time until ``fact``, then the fact itself."""
        _pass_time(self, until=fact.at)
        if isinstance(fact, EventFact):
            _on_event(self, fact)
        elif isinstance(fact, DecisionFact):
            _on_decision(self, fact)
        elif isinstance(fact, CardFact):
            _on_card(self, fact)
        elif isinstance(fact, Unseen):
            _on_unseen(self, fact)

    def outcome(self) -> Outcome:
        """Where the facts so far have taken the lead."""
        self._owns_ledger = False  # the outcome shares it: a later fact works on a copy
        return Outcome(self.state.copy(), tuple(self.moves), tuple(self.signals))

    def totals(self, at: datetime) -> ScoreTotals:
        return score_totals(model=self.model, profile=self.state.profile, ledger=self.state.ledger, at=at)

    def move(
        self, to: Stage, *, at: datetime, cause: Cause, reason: str, trigger: EventFact | None = None
    ) -> None:
        state = self.state
        score = score_lead(model=self.model, profile=state.profile, ledger=state.ledger, at=at)
        sql = to is Stage.SQL
        self.moves.append(
            Move(
                at=at,
                from_stage=state.stage,
                to_stage=to,
                cause=cause,
                reason=reason,
                score=score,
                trigger=trigger,
                returning=state.earlier if sql else None,
                episode=state.sql_count + 1 if sql else 0,
            )
        )
        state.stage = to
        state.as_of = at if state.as_of is None or at > state.as_of else state.as_of
        state.sql_count += sql
        state.below_mql_since = None
        if to is not Stage.RECYCLED:
            state.recycle_until = None
        if to is not Stage.REJECTED:
            state.cool_off_until = None

    def signal(self, kind: SignalKind, *, at: datetime, detail: str, event: EventFact | None = None) -> None:
        event_id = event.event_id if event else None
        self.signals.append(Signal(at, kind, detail, event_id, self.state.owner))


def step(state: LeadLife, fact: Fact, model: ScoringModel) -> Outcome:
    """The lead after ``fact``: its new state, the moves it made and the signals it raised."""
    work = Fold(state, model)
    work.apply(fact)
    if isinstance(fact, Tick) and not work.moves:
        return Outcome(state)  # time passed and nothing came of it: the state stays as it was
    return work.outcome()


def fold(state: LeadLife, facts: Iterable[Fact], model: ScoringModel) -> Outcome:
    """Apply ``facts`` in time order; the moves and signals of all of them together."""
    work = Fold(state, model)
    for fact in sorted(facts, key=fact_order):
        work.apply(fact)
    return work.outcome()


def _pass_time(work: Fold, *, until: datetime) -> None:
    state = work.state
    if state.stage is Stage.LEAD:
        return  # the common case: time alone never moves a lead
    if state.stage is Stage.RECYCLED and state.recycle_until is not None and state.recycle_until <= until:
        _back_to_nurture(work, at=state.recycle_until, cause=Cause.RECYCLE_DATE, reason="recycle date passed")
    elif state.stage is Stage.REJECTED and state.cool_off_until is not None and state.cool_off_until <= until:
        days = f"{work.model.lifecycle.rejected_cool_off_days:g}"
        reason = f"{days} days since the rejection"
        _back_to_nurture(work, at=state.cool_off_until, cause=Cause.COOL_OFF_ENDED, reason=reason)
    elif state.stage is Stage.MQL:
        _fade(work, until=until)


def _back_to_nurture(work: Fold, *, at: datetime, cause: Cause, reason: str) -> None:
    totals = work.totals(at)
    mql = work.model.thresholds.mql
    work.move(
        Stage.MQL if totals.total >= mql and not totals.disqualified else Stage.LEAD,
        at=at,
        cause=cause,
        reason=reason,
    )
    if _qualifies_by_score(work, totals):
        work.move(Stage.SQL, at=at, cause=Cause.SCORE, reason=_sql_reason(work, totals))


def _fade(work: Fold, *, until: datetime) -> None:
    state = work.state
    expire_after = timedelta(days=work.model.lifecycle.expire_after_days)
    since = state.below_mql_since
    if since is None and state.as_of is not None and until - state.as_of >= expire_after:
        since = first_moment_below(work.model, state.profile, state.ledger, start=state.as_of, end=until)
    if since is not None and since + expire_after <= until:
        days = f"{work.model.lifecycle.expire_after_days:g}"
        work.move(
            Stage.EXPIRED,
            at=since + expire_after,
            cause=Cause.FADED,
            reason=f"below the MQL threshold for {days} days",
        )


def _on_event(work: Fold, event: EventFact) -> None:
    state = work.state
    profile, as_of, stage = state.profile, state.as_of, state.stage
    replaced = _fold_in(work, event)
    hand_raise = event.type in work.model.thresholds.hand_raise
    totals: ScoreTotals | None = None  # computed only where a step reads the score
    if hand_raise and stage is Stage.ACCEPTED:
        rule = work.model.engagement_rule_for(event.type, event.properties)
        what = rule.label if rule is not None else event.type.replace("_", " ")
        work.signal(SignalKind.OWNER_HAND_RAISE, at=event.at, detail=what, event=event)
    elif hand_raise and (stage.is_nurture or stage in (Stage.REJECTED, Stage.RECYCLED)):
        totals = work.totals(event.at)
        _hand_raise(work, event, totals)
    elif stage.is_nurture and (stage is Stage.MQL or work.may_reach(work.model.thresholds.mql)):
        totals = work.totals(event.at)
        _score_moves(work, event, totals)
    elif stage is Stage.SQL:
        _warn_open_card(work, event, profile_before=profile)
    if state.stage is Stage.MQL:
        totals = totals or work.totals(event.at)
        before = _Before(profile, as_of, stage, state.ledger, replaced)
        _track_fading(work, before=before, event=event, totals=totals)


class _Before(NamedTuple):
    """What an event's step needs of the lead as it was before the event (its ledger rebuilt only
    when asked for: the ledger after the event, with the tally the event replaced put back)."""

    profile: LeadProfile
    as_of: datetime | None
    stage: Stage
    ledger_after: EngagementLedger
    replaced: tuple[str, RuleTally | None] | None

    def ledger(self) -> EngagementLedger:
        if self.replaced is None:
            return self.ledger_after
        return self.ledger_after.undoing(*self.replaced)


def _fold_in(work: Fold, event: EventFact) -> tuple[str, RuleTally | None] | None:
    """Fold the event into the lead's state; the rule it scored and that rule's tally before it."""
    state = work.state
    rule = work.model.engagement_rule_for(event.type, event.properties)
    replaced = None if rule is None else (rule.id, work.engage(rule, event))
    profile = state.profile = _patched(state.profile, event.profile)
    if state.as_of is None or event.at > state.as_of:
        state.as_of = event.at
    state.first_source = state.first_source or profile.source
    state.first_campaign = state.first_campaign or profile.campaign
    if event.type in OUTCOME_EVENTS and (state.outcome is None or event.at >= state.outcome.at):
        state.outcome = outcome_of(event.type, event.at, event.properties)
    return replaced


def _patched(profile: LeadProfile, patch: Mapping[str, Any] | None) -> LeadProfile:
    """The profile with the event's non-empty fields; the same object when none of them differ.
    Attributes are laid over the ones known (an attribute is never removed)."""
    if not patch:
        return profile
    changes = {
        name: value
        for name, value in patch.items()
        if value not in (None, "") and name != "attributes" and getattr(profile, name) != value
    }
    attributes = patch.get("attributes")
    if attributes:
        merged = profile.with_attributes(attributes)
        if merged != profile.attributes:
            changes["attributes"] = merged
    return replace(profile, **changes) if changes else profile


def _hand_raise(work: Fold, event: EventFact, totals: ScoreTotals) -> None:
    floor = work.model.thresholds.hand_raise_min_fit
    if totals.disqualified or totals.fit < floor:
        why = "disqualified" if totals.disqualified else f"fit {totals.fit:g} < {floor:g}"
        work.signal(SignalKind.HAND_RAISE_BELOW_FIT, at=event.at, detail=f"{event.type}: {why}", event=event)
        if work.state.stage.is_nurture:
            _score_moves(work, event, totals)
        return
    work.move(
        Stage.SQL, at=event.at, cause=Cause.HAND_RAISE, reason=f"hand raised: {event.type}", trigger=event
    )


def _score_moves(work: Fold, event: EventFact, totals: ScoreTotals) -> None:
    if _qualifies_by_score(work, totals):
        work.move(Stage.SQL, at=event.at, cause=Cause.SCORE, reason=_sql_reason(work, totals), trigger=event)
    elif (
        work.state.stage is not Stage.MQL
        and totals.total >= work.model.thresholds.mql
        and not totals.disqualified
    ):
        reason = f"score {totals.total:g} ≥ {work.model.thresholds.mql:g}"
        work.move(Stage.MQL, at=event.at, cause=Cause.SCORE, reason=reason, trigger=event)


def _qualifies_by_score(work: Fold, totals: ScoreTotals) -> bool:
    thresholds = work.model.thresholds
    return not totals.disqualified and totals.total >= thresholds.sql and totals.fit >= thresholds.sql_min_fit


def _sql_reason(work: Fold, totals: ScoreTotals) -> str:
    thresholds = work.model.thresholds
    return f"score {totals.total:g} ≥ {thresholds.sql:g}, fit {totals.fit:g} ≥ {thresholds.sql_min_fit:g}"


def _warn_open_card(work: Fold, event: EventFact, *, profile_before: LeadProfile) -> None:
    rule = work.model.engagement_rule_for(event.type, event.properties)
    if rule is not None and rule.points < 0:
        work.signal(SignalKind.CARD_WARNING, at=event.at, detail=rule.label, event=event)
    model = work.model
    if disqualifies(model, work.state.profile) and not disqualifies(model, profile_before):
        work.signal(
            SignalKind.CARD_WARNING, at=event.at, detail="disqualified by a profile change", event=event
        )


def _track_fading(work: Fold, *, before: _Before, event: EventFact, totals: ScoreTotals) -> None:
    state = work.state
    if totals.total >= work.model.thresholds.mql:
        state.below_mql_since = None
    elif state.below_mql_since is None:
        start = before.as_of or event.at
        since = (
            first_moment_below(work.model, before.profile, before.ledger(), start=start, end=event.at)
            if before.stage is Stage.MQL
            else None
        )
        state.below_mql_since = since or event.at


def _on_decision(work: Fold, decision: DecisionFact) -> None:
    to = _DECIDED[decision.action]
    earlier = EarlierDecision(decision.action, decision.at, decision.by, decision.reason, decision.note)
    work.move(to, at=decision.at, cause=Cause.DECISION, reason=f"sales decision: {decision.action.value}")
    cool_off = timedelta(days=work.model.lifecycle.rejected_cool_off_days)
    state = work.state
    state.earlier = earlier
    if to is Stage.ACCEPTED:
        state.owner = decision.by
    state.recycle_until = decision.recycle_until if to is Stage.RECYCLED else None
    state.cool_off_until = decision.at + cool_off if to is Stage.REJECTED else None


def _on_unseen(work: Fold, unseen: Unseen) -> None:
    if work.state.stage is Stage.SQL:
        totals = work.totals(unseen.at)
        back = (
            Stage.MQL if totals.total >= work.model.thresholds.mql and not totals.disqualified else Stage.LEAD
        )
        work.move(
            back, at=unseen.at, cause=Cause.UNSEEN, reason="qualified before anyone saw it: history, no card"
        )


def _on_card(work: Fold, card: CardFact) -> None:
    if work.state.stage is not Stage.SQL:
        work.move(Stage.SQL, at=card.at, cause=Cause.CARDED, reason="card posted (kept after a late event)")


def next_due(state: LeadLife, model: ScoringModel) -> datetime | None:
    """The earliest moment time alone might move the lead (nothing before it is due)."""
    if state.stage is Stage.RECYCLED:
        return state.recycle_until
    if state.stage is Stage.REJECTED:
        return state.cool_off_until
    if state.stage is Stage.MQL:
        start = state.below_mql_since or state.as_of
        return start + timedelta(days=model.lifecycle.expire_after_days) if start else None
    return None

"""A backtest: every lead's stored events replayed under a model in memory (nothing live changes),
each lead scored as of the moment that matters, and how well those scores ranked what happened.

The replay is the model's own view of the event log: events only, no posted cards or decisions.
Against outcomes, a lead converted if it got an opportunity or a won deal; it is scored just
before its first outcome (never with events after it: that would leak the answer), or at the end
when it has none. Against decisions, each decided handoff is one sample: scored when it was
created, converted if accepted (recycled ones are left out).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from bot.services.lead_life import event_fact, start_life
from scoring import Decision, ScoringModel, Stage, score_totals
from scoring.evaluation import Scored
from scoring.facts import Cause, EventFact, Fact, Tick, fact_order
from scoring.fit import Sample
from scoring.lifecycle import Fold
from scoring.outcomes import OUTCOME_EVENTS, OutcomeKind
from storage.leads import LeadState
from storage.replay_reads import StoredLife
from storage.uow import UnitOfWork

Label = Literal["outcome", "decision"]
_CONVERTED = (OutcomeKind.OPPORTUNITY, OutcomeKind.WON)
_CARDED = (Cause.SCORE, Cause.HAND_RAISE)


@dataclass(frozen=True)
class BacktestSpec:
    """What to replay: under which model (and the live one, to count the leads that would move),
    against which label, from when, and the end of the replay."""

    model: ScoringModel
    live: ScoringModel | None
    label: Label
    since: datetime | None
    now: datetime
    keep: bool = False


@dataclass
class Replayed:
    """The samples of every lead, the SQL moments the model would have carded by week, and how
    many leads would end in another stage than under the live model."""

    samples: list[Scored] = field(default_factory=list)
    kept: list[Sample] = field(default_factory=list)
    cards_by_week: Counter[datetime] = field(default_factory=Counter)
    leads: int = 0
    would_move: int = 0


def replay_all(*, read_uow: Callable[[], UnitOfWork], spec: BacktestSpec, page: int = 2000) -> Replayed:
    """Replay every lead with events under ``spec.model``."""
    done = Replayed()
    for lead, life in _lives(read_uow, page):
        if not life.events:
            continue
        done.leads += 1
        final = _replay(lead, life, spec, done)
        if spec.live is not None and _final_stage(lead, life, spec.live, spec.now) is not final:
            done.would_move += 1
    return done


def _lives(read_uow: Callable[[], UnitOfWork], page: int) -> Iterator[tuple[LeadState, StoredLife]]:
    after_id = 0
    while True:
        with read_uow() as uow:
            leads = uow.leads.page(after_id=after_id, limit=page)
            if not leads:
                return
            lives = uow.replays.lives([lead.id for lead in leads], upto=uow.scorer.checkpoint())
        yield from ((lead, lives[lead.id]) for lead in leads)
        after_id = leads[-1].id


def _replay(lead: LeadState, life: StoredLife, spec: BacktestSpec, done: Replayed) -> Stage:
    facts = _facts(life)
    moments = _moments(life, facts, spec)
    work = Fold(start_life(lead), spec.model)
    for fact in [*facts, Tick(spec.now)]:
        while moments and moments[0][0] <= fact.at:
            moment, converted = moments.pop(0)
            work.apply(Tick(moment))
            done.samples.append(_sample(work, moment, converted))
            if spec.keep:
                earlier = [f for f in facts if isinstance(f, EventFact) and f.at < moment]
                done.kept.append(Sample(work.state.profile, earlier, converted))
        before = len(work.moves)
        work.apply(fact)
        for move in work.moves[before:]:
            if move.to_stage is Stage.SQL and move.cause in _CARDED and _counted(move.at, spec.since):
                done.cards_by_week[_week(move.at)] += 1
    return work.state.stage


def _final_stage(lead: LeadState, life: StoredLife, model: ScoringModel, now: datetime) -> Stage:
    work = Fold(start_life(lead), model)
    for fact in [*_facts(life), Tick(now)]:
        work.apply(fact)
    return work.state.stage


def _facts(life: StoredLife) -> list[Fact]:
    facts = [event_fact(event) for event in life.events]
    return sorted(facts, key=fact_order)


def _moments(life: StoredLife, facts: list[Fact], spec: BacktestSpec) -> list[tuple[datetime, bool]]:
    """When each sample of the lead is scored, and whether it converted; in time order."""
    if spec.label == "decision":
        created = {handoff.id: handoff.created_at for handoff in life.handoffs}
        moments = [
            (created[handoff_id], decision.action is Decision.ACCEPT)
            for handoff_id, decision in life.decisions
            if decision.action is not Decision.RECYCLE and handoff_id in created
        ]
    else:
        outcomes = [f for f in facts if isinstance(f, EventFact) and f.type in OUTCOME_EVENTS]
        converted = any(OUTCOME_EVENTS[f.type] in _CONVERTED for f in outcomes)
        moments = [(outcomes[0].at if outcomes else spec.now, converted)]
    return sorted(moment for moment in moments if _counted(moment[0], spec.since))


def _sample(work: Fold, moment: datetime, converted: bool) -> Scored:
    state = work.state
    totals = score_totals(model=work.model, profile=state.profile, ledger=state.ledger, at=moment)
    return Scored(totals.total, state.stage.value, converted)


def _counted(moment: datetime, since: datetime | None) -> bool:
    return since is None or moment >= since


def _week(moment: datetime) -> datetime:
    start = moment - timedelta(days=moment.weekday())
    return start.replace(hour=0, minute=0, second=0, microsecond=0)

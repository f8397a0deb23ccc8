"""Folding a lead's facts through the lifecycle, with the one rule that needs the clock: an SQL
that qualified too long ago for a card, and was not carded, is history (``Unseen``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.policy import is_live
from scoring import ScoringModel, Stage
from scoring.facts import CardFact, Cause, Fact, LeadLife, Move, Signal, Unseen, fact_order
from scoring.lifecycle import Fold


@dataclass
class Walk:
    """Where a walk through the facts ended, what it said on the way, and which SQL episode each
    posted card belongs to (``carded``: episode → handoff id)."""

    state: LeadLife
    moves: list[Move] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    carded: dict[int, int] = field(default_factory=dict)


def walk(state: LeadLife, facts: Iterable[Fact], *, model: ScoringModel, now: datetime) -> Walk:
    """Apply ``facts`` in time order; an old SQL no card follows returns the lead to nurture at once."""
    ordered = sorted(facts, key=fact_order)
    work = Fold(state, model)
    carded: dict[int, int] = {}
    for fact in ordered:
        before = len(work.moves)
        work.apply(fact)
        if isinstance(fact, CardFact) and fact.handoff_id is not None:
            carded[work.state.sql_count] = fact.handoff_id
        sql = _new_sql(work.moves) if len(work.moves) > before else None
        if sql and not is_live(sql.at, model=model, now=now) and not _carded_soon_after(sql, ordered, model):
            work.apply(Unseen(sql.at))
    return Walk(work.state, work.moves, work.signals, carded)


def _carded_soon_after(sql: Move, facts: list[Fact], model: ScoringModel) -> bool:
    window = timedelta(days=model.thresholds.hand_raise_max_age_days)
    return any(isinstance(fact, CardFact) and sql.at <= fact.at <= sql.at + window for fact in facts)


def _new_sql(moves: list[Move]) -> Move | None:
    last = moves[-1]
    return last if last.to_stage is Stage.SQL and last.cause is not Cause.CARDED else None

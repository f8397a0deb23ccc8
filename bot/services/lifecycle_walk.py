"""Folding a lead's facts through the lifecycle, with the one rule that needs the clock: an SQL
that qualified too long ago for a card, and was not carded, is history (``Unseen``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.policy import is_live
from scoring import ScoringModel, Stage
from scoring.facts import CardFact, Cause, Fact, LeadLife, Move, Signal, Unseen, fact_order
from scoring.lifecycle import step


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
    card_times = [fact.at for fact in ordered if isinstance(fact, CardFact)]
    window = timedelta(days=model.thresholds.hand_raise_max_age_days)
    result = Walk(state)
    for fact in ordered:
        before = len(result.moves)
        _apply(result, fact, model)
        if isinstance(fact, CardFact) and fact.handoff_id is not None:
            result.carded[result.state.sql_count] = fact.handoff_id
        sql = _new_sql(result.moves[before:])
        if (
            sql
            and not is_live(sql.at, model=model, now=now)
            and not _carded_soon_after(sql, card_times, window)
        ):
            _apply(result, Unseen(sql.at), model)
    return result


def _apply(result: Walk, fact: Fact, model: ScoringModel) -> None:
    outcome = step(result.state, fact, model)
    result.state = outcome.state
    result.moves.extend(outcome.moves)
    result.signals.extend(outcome.signals)


def _carded_soon_after(sql: Move, card_times: list[datetime], window: timedelta) -> bool:
    return any(sql.at <= at <= sql.at + window for at in card_times)


def _new_sql(moves: list[Move]) -> Move | None:
    last = moves[-1] if moves else None
    return last if last and last.to_stage is Stage.SQL and last.cause is not Cause.CARDED else None

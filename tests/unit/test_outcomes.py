"""Outcomes from the CRM mark a lead, latest in event time, and score nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.model_source import load_scoring_model
from scoring import LeadProfile
from scoring.facts import EventFact, LeadLife
from scoring.lifecycle import fold
from scoring.loader import ModelError, parse_model
from scoring.outcomes import LeadOutcome, OutcomeKind

MODEL = load_scoring_model(None)
T0 = datetime(2026, 6, 1, 9, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def fresh() -> LeadLife:
    return LeadLife(profile=LeadProfile(email="ana@acme.io"))


def test_the_latest_outcome_in_event_time_wins_whatever_the_arrival_order() -> None:
    opportunity = EventFact("o1", "opportunity_created", at(1), {})
    won = EventFact("o2", "closed_won", at(20), {"amount": 12000, "currency": "eur"})

    for facts in ([opportunity, won], [won, opportunity]):
        assert fold(fresh(), facts, MODEL).state.outcome == LeadOutcome(
            OutcomeKind.WON, at(20), 12000.0, "EUR"
        )


def test_outcome_events_score_nothing_and_move_no_stage() -> None:
    engaged = [EventFact(f"p{n}", "page_view", at(n / 10), {"url": "/pricing"}) for n in range(3)]
    before = fold(fresh(), engaged, MODEL).state

    after = fold(before, [EventFact("w", "closed_won", at(1), {"amount": "lots"})], MODEL)

    assert after.moves == ()
    assert after.state.ledger == before.ledger
    assert after.state.outcome == LeadOutcome(OutcomeKind.WON, at(1), None, None)


def test_outcome_types_are_known_to_every_model() -> None:
    assert all(MODEL.knows_event(kind.event_type) for kind in OutcomeKind)


@pytest.mark.parametrize(
    "body",
    [
        "engagement:\n  - {id: won, label: Won, event: closed_won, points: 50}\n",
        "thresholds: {mql: 50, sql: 100, hand_raise: [opportunity_created]}\n",
    ],
)
def test_a_model_cannot_score_an_outcome(body: str) -> None:
    head = "name: t\n" + ("" if body.startswith("thresholds") else "thresholds: {mql: 50, sql: 100}\n")

    with pytest.raises(ModelError, match="outcome events score nothing"):
        parse_model(head + body)


def test_an_outcome_reads_back_from_its_json() -> None:
    outcome = LeadOutcome(OutcomeKind.LOST, at(3), 500.0, "USD")

    assert LeadOutcome.from_json(outcome.as_json()) == outcome
    assert LeadOutcome.from_json(None) is None

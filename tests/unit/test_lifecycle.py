"""The lifecycle as a pure function: every path of a lead, dated in event time."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

from hypothesis import given
from hypothesis import strategies as st

from bot.model_source import load_scoring_model
from scoring import Decision, LeadProfile, Stage
from scoring.facts import CardFact, Cause, DecisionFact, EventFact, Fact, LeadLife, SignalKind, Tick
from scoring.lifecycle import Fold, fold, step

MODEL = load_scoring_model(None)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
VP = {"title": "VP Sales", "industry": "Software", "company_size": 250, "source": "webinar", "campaign": "q1"}


def fresh(email: str = "ana@acme.io") -> LeadLife:
    return LeadLife(profile=LeadProfile(email=email))


def ev(kind: str, days: float, *, url: str | None = None, profile: dict[str, Any] | None = None) -> EventFact:
    at = T0 + timedelta(days=days)
    return EventFact(f"{kind}-{days}-{url}", kind, at, {"url": url} if url else {}, profile)


def engaged_vp(days: float = 0) -> list[Fact]:
    """A VP at a target company reading pricing and attending a webinar: an MQL at once, not an SQL."""
    return [
        ev("page_view", days, url="/pricing", profile=VP),
        ev("page_view", days + 0.01, url="/pricing"),
        ev("webinar_attended", days + 0.02),
    ]


def stages(outcome_moves: tuple[Any, ...]) -> list[tuple[Stage, Stage, Cause]]:
    return [(move.from_stage, move.to_stage, move.cause) for move in outcome_moves]


def test_moves_are_dated_at_the_events_that_caused_them() -> None:
    facts = [*engaged_vp(), ev("demo_request", 10)]

    outcome = fold(fresh(), facts, MODEL)

    assert stages(outcome.moves) == [
        (Stage.LEAD, Stage.MQL, Cause.SCORE),
        (Stage.MQL, Stage.SQL, Cause.HAND_RAISE),
    ]
    assert [move.at for move in outcome.moves] == [T0, T0 + timedelta(days=10)]
    assert outcome.moves[1].episode == 1
    trigger = outcome.moves[1].trigger
    assert trigger is not None
    assert trigger.type == "demo_request"


def test_a_free_mail_one_person_company_raising_its_hand_is_counted_not_carded() -> None:
    tiny = {"company_size": 1}
    outcome = fold(fresh("joe@gmail.com"), [ev("demo_request", 0, profile=tiny)], MODEL)

    assert outcome.state.stage is Stage.LEAD
    assert [signal.kind for signal in outcome.signals] == [SignalKind.HAND_RAISE_BELOW_FIT]


def test_a_free_mail_address_alone_still_takes_the_fast_lane() -> None:
    outcome = fold(fresh("joe@gmail.com"), [ev("demo_request", 0)], MODEL)

    assert outcome.state.stage is Stage.SQL


def test_a_rejected_lead_raising_its_hand_again_comes_back_as_returning_with_the_note() -> None:
    decision = DecisionFact(
        T0 + timedelta(days=1), Decision.REJECT, "URITA", "bad_timing", "Champion on parental leave"
    )
    facts = [ev("demo_request", 0, profile=VP), decision, ev("contact_sales", 60)]

    outcome = fold(fresh(), facts, MODEL)

    last = outcome.moves[-1]
    assert (last.from_stage, last.to_stage, last.episode) == (Stage.REJECTED, Stage.SQL, 2)
    assert last.returning is not None
    assert (last.returning.note, last.returning.by) == ("Champion on parental leave", "URITA")


def test_a_rejected_lead_returns_to_nurture_when_its_cool_off_ends() -> None:
    decided = T0 + timedelta(days=1)
    facts = [ev("demo_request", 0, profile=VP), DecisionFact(decided, Decision.REJECT, "URITA", "bad_timing")]

    outcome = fold(fresh(), [*facts, Tick(T0 + timedelta(days=200))], MODEL)

    back = outcome.moves[-1]
    assert (back.from_stage, back.cause, back.at) == (
        Stage.REJECTED,
        Cause.COOL_OFF_ENDED,
        decided + timedelta(days=90),
    )
    assert back.to_stage in (Stage.LEAD, Stage.MQL)


def test_a_recycled_lead_returns_on_its_date_and_its_next_sql_mentions_the_recycler() -> None:
    until = T0 + timedelta(days=30)
    recycle = DecisionFact(T0 + timedelta(days=1), Decision.RECYCLE, "UBEN", "no_budget", "Q3", until)
    facts = [ev("demo_request", 0, profile=VP), recycle, Tick(T0 + timedelta(days=31))]
    back = fold(fresh(), facts, MODEL)

    assert (back.moves[-1].from_stage, back.moves[-1].cause, back.moves[-1].at) == (
        Stage.RECYCLED,
        Cause.RECYCLE_DATE,
        until,
    )
    again = fold(back.state, [ev("contact_sales", 40)], MODEL)
    assert again.moves[-1].to_stage is Stage.SQL
    returning = again.moves[-1].returning
    assert returning is not None
    assert returning.by == "UBEN"


def test_an_accepted_lead_raising_its_hand_tells_its_owner_and_opens_no_card() -> None:
    facts = [
        ev("demo_request", 0, profile=VP),
        DecisionFact(T0 + timedelta(days=1), Decision.ACCEPT, "URITA"),
        ev("demo_request", 180),
    ]

    outcome = fold(fresh(), facts, MODEL)

    assert outcome.state.stage is Stage.ACCEPTED
    assert [(s.kind, s.owner) for s in outcome.signals] == [(SignalKind.OWNER_HAND_RAISE, "URITA")]


def test_an_open_card_hears_of_an_unsubscribe() -> None:
    facts = [ev("demo_request", 0, profile=VP), ev("unsubscribe", 2)]

    outcome = fold(fresh(), facts, MODEL)

    assert [(s.kind, s.detail) for s in outcome.signals] == [(SignalKind.CARD_WARNING, "Unsubscribed")]


def test_a_faded_mql_expires_at_the_same_moment_whenever_the_clock_looks() -> None:
    mql = fold(fresh(), engaged_vp(), MODEL).state
    assert mql.stage is Stage.MQL

    seen = {fold(mql, [Tick(T0 + timedelta(days=days))], MODEL).moves[-1].at for days in (150, 200, 365)}

    assert len(seen) == 1
    expired_at = seen.pop()
    assert T0 + timedelta(days=90) < expired_at < T0 + timedelta(days=150)
    assert fold(mql, [Tick(T0 + timedelta(days=60))], MODEL).moves == ()


def test_an_expired_lead_that_engages_again_is_an_mql_again() -> None:
    expired = fold(fresh(), [*engaged_vp(), Tick(T0 + timedelta(days=300))], MODEL).state
    assert expired.stage is Stage.EXPIRED

    outcome = fold(expired, engaged_vp(days=301), MODEL)

    assert stages(outcome.moves) == [(Stage.EXPIRED, Stage.MQL, Cause.SCORE)]


def test_a_posted_card_keeps_the_lead_an_sql_whatever_a_late_event_says() -> None:
    outcome = fold(fresh(), [ev("page_view", 0, profile=VP), CardFact(T0 + timedelta(days=1))], MODEL)

    assert stages(outcome.moves)[-1] == (Stage.LEAD, Stage.SQL, Cause.CARDED)


def test_a_tick_with_nothing_due_leaves_the_state_untouched() -> None:
    state = fold(fresh(), engaged_vp(), MODEL).state

    assert step(state, Tick(T0 + timedelta(days=3)), MODEL).state is state


def test_profile_fields_are_folded_in_event_order_and_first_touch_is_kept() -> None:
    late = ev("page_view", 5, profile={"source": "ads", "campaign": "q2"})
    early = ev("page_view", 1, profile={"source": "webinar", "campaign": "q1"})

    state = fold(fresh(), [late, early], MODEL).state

    assert (state.profile.source, state.first_source, state.first_campaign) == ("ads", "webinar", "q1")


_KINDS = ["page_view", "email_open", "webinar_attended", "content_download", "demo_request", "unsubscribe"]
_events = st.lists(
    st.tuples(st.sampled_from(_KINDS), st.floats(min_value=0, max_value=400), st.booleans()),
    min_size=1,
    max_size=25,
)
_decisions = st.lists(
    st.tuples(st.sampled_from(list(Decision)), st.floats(min_value=0, max_value=400), st.floats(0, 120)),
    max_size=3,
)


def _facts(raw: list[tuple[str, float, bool]], decided: list[tuple[Decision, float, float]]) -> list[Fact]:
    facts: list[Fact] = [
        ev(kind, day, url="/pricing" if pricing else None, profile=VP if index == 0 else None)
        for index, (kind, day, pricing) in enumerate(raw)
    ]
    for action, day, wait in decided:
        at = T0 + timedelta(days=day)
        until = at + timedelta(days=wait) if action is Decision.RECYCLE else None
        facts += [CardFact(at), DecisionFact(at, action, "URITA", "bad_timing", "note", until)]
    return facts


@given(_events, _decisions, st.floats(min_value=0, max_value=500))
def test_history_folded_in_two_parts_with_the_daily_job_between_is_the_history_folded_at_once(
    raw: list[tuple[str, float, bool]], decided: list[tuple[Decision, float, float]], tick_day: float
) -> None:
    facts = _facts(raw, decided)
    tick = Tick(T0 + timedelta(days=tick_day))
    before = [fact for fact in facts if fact.at <= tick.at]
    after = [fact for fact in facts if fact.at > tick.at]

    first = fold(fresh(), before, MODEL)
    ticked = step(first.state, tick, MODEL)
    second = fold(ticked.state, after, MODEL)
    whole = fold(fresh(), [*facts, tick], MODEL)

    assert second.state == whole.state
    assert first.moves + ticked.moves + second.moves == whole.moves
    assert first.signals + ticked.signals + second.signals == whole.signals


@given(_events, _decisions)
def test_skipping_exact_totals_below_the_ceiling_changes_nothing(
    raw: list[tuple[str, float, bool]], decided: list[tuple[Decision, float, float]]
) -> None:
    facts = [*_facts(raw, decided), Tick(T0 + timedelta(days=500))]
    shortcut = fold(fresh(), facts, MODEL)
    with patch.object(Fold, "may_reach", lambda self, threshold: True):
        exact = fold(fresh(), facts, MODEL)

    assert (shortcut.state, shortcut.moves, shortcut.signals) == (exact.state, exact.moves, exact.signals)


def test_a_copy_of_a_lead_life_keeps_every_field() -> None:
    state = fold(fresh(), [*engaged_vp(), ev("demo_request", 1)], MODEL).state

    copied = state.copy()

    assert copied is not state
    assert all(getattr(copied, f.name) is getattr(state, f.name) for f in fields(LeadLife))


def test_folding_never_changes_the_state_it_started_from() -> None:
    start = fold(fresh(), engaged_vp(), MODEL).state
    snapshot = start.copy()

    fold(start, [ev("demo_request", 3), ev("page_view", 4, url="/pricing")], MODEL)

    assert start == snapshot

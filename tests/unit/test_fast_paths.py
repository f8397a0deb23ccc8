"""The scorer's fast paths give what the plain code gives, for any profile and any events."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model_source import load_scoring_model
from scoring import EngagementLedger, LeadProfile, ScoringModel, fit_contributions
from scoring.engine import fit_points, score_totals
from scoring.loader import parse_model
from scoring.model import BASE_RULE_ID, EngagementRule
from scoring.types import Event

MODEL = load_scoring_model(None)
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)

profiles = st.builds(
    LeadProfile,
    email=st.sampled_from(["ana@acme.io", "bo@gmail.com", "cy@hubspot.com", "di@globex.example"]),
    title=st.sampled_from([None, "", " ", "VP Sales", "CEO", "Student", "Head of Growth", "intern"]),
    industry=st.sampled_from([None, "Software", "software ", "Media", "Retail"]),
    company_size=st.one_of(st.none(), st.integers(min_value=0, max_value=50_000)),
    country=st.sampled_from([None, "US", "DE", "1"]),
)
scored_events = st.tuples(
    st.sampled_from(sorted({rule.id for rule in MODEL.engagement})),
    st.integers(min_value=0, max_value=400 * 86_400).map(lambda s: (NOW - timedelta(seconds=s)).timestamp()),
)


def _plain_fit(profile: LeadProfile, model: ScoringModel = MODEL) -> list[str]:
    """The fit rules that match, as ``FitRule.matches`` tells (within a group the first)."""
    matched, groups = [BASE_RULE_ID] if model.base else [], set()
    for rule in model.fit:
        if (rule.group is None or rule.group not in groups) and rule.matches(profile.value_of):
            matched.append(rule.id)
            groups |= {rule.group} if rule.group else set()
    return matched


@settings(max_examples=300, deadline=None)
@given(profiles=st.lists(profiles, min_size=1, max_size=20))
def test_the_memoised_fit_is_the_fit_the_rules_give(profiles: list[LeadProfile]) -> None:
    for profile in profiles:
        assert [c.rule_id for c in fit_contributions(MODEL, profile)] == _plain_fit(profile)


CROSSED = parse_model(
    "name: crossed\nthresholds: {mql: 50, sql: 100}\nbase: 5\nfit:\n"
    "  - {id: big_no_title, group: g, label: B, all_of: [{field: title, missing: true},"
    " {field: company_size, min: 1000}], points: 7}\n"
    "  - {id: vp_big, group: g, label: V, all_of: [{field: title, matches: vp},"
    " {field: company_size, min: 500}], points: 9}\n"
    "  - {id: vp, group: g, label: VP, field: title, when: {matches: vp}, points: 4}\n"
    "  - {id: plan, label: P, field: attributes.plan, when: {one_of: [team, pro]}, points: 3}\n"
    "  - {id: free, label: F, field: email_domain, when: {one_of: [gmail.com]}, points: -15}\n"
    "  - {id: no_plan, label: N, field: attributes.plan, when: {missing: true}, disqualify: true,"
    " points: -1}\n"
)


@settings(max_examples=300, deadline=None)
@given(
    profiles=st.lists(profiles, min_size=1, max_size=20),
    plans=st.lists(
        st.sampled_from([(), (("plan", "team"),), (("plan", "free"),), (("plan", 1),)]), min_size=20
    ),
)
def test_fit_from_memoised_answers_is_the_fit_the_rules_give_on_any_model(
    profiles: list[LeadProfile], plans: list[tuple[tuple[str, str | float], ...]]
) -> None:
    for profile, plan in zip(profiles, plans, strict=False):
        profile = replace(profile, attributes=plan)
        for model in (MODEL, CROSSED):
            assert [c.rule_id for c in fit_contributions(model, profile)] == _plain_fit(profile, model)


def test_a_size_given_as_a_whole_number_or_a_decimal_is_tested_as_itself() -> None:
    for size in (1000, 1000.0, 999, 999.5):
        profile = LeadProfile(email="ana@acme.io", company_size=size)  # type: ignore[arg-type]

        assert [c.rule_id for c in fit_contributions(MODEL, profile)] == _plain_fit(profile)


@settings(max_examples=300, deadline=None)
@given(start=st.lists(scored_events, max_size=10), added=st.lists(scored_events, min_size=1, max_size=10))
def test_a_ledger_changed_in_place_equals_the_copies_and_undoes_exactly(
    start: list[tuple[str, float]], added: list[tuple[str, float]]
) -> None:
    base = EngagementLedger()
    for rule_id, ts in start:
        base = base.adding(_rule(rule_id), ts, {})
    stored = base.to_json()
    copied, in_place = base, EngagementLedger(dict(base.tallies))
    for rule_id, ts in added:
        before = copied
        copied = copied.adding(_rule(rule_id), ts, {})
        replaced = in_place.replace_adding(_rule(rule_id), ts, {})
        undone = in_place.undoing(rule_id, replaced)

        assert in_place == copied
        assert list(in_place.tallies) == list(copied.tallies)
        assert undone == before
        assert list(undone.tallies) == list(before.tallies)
        assert in_place.engagement_total(MODEL, NOW) == copied.engagement_total(MODEL, NOW)
    assert base.to_json() == stored  # the ledger it started from was never changed


def _rule(rule_id: str) -> EngagementRule:
    rule = MODEL.engagement_rule(rule_id)
    assert rule is not None
    return rule


SHAPED = parse_model(
    "name: shaped\nthresholds: {mql: 50, sql: 100}\nengagement:\n"
    "  - {id: visits, label: Visits, event: page_view, points: 10, curve: log, half_life_days: 3}\n"
    "  - {id: minutes, label: Minutes, event: session, per: minutes, points: 0.5, cap: 30,"
    " half_life_days: 1}\n"
    "  - {id: bounce, label: Bounce, event: email_bounce, points: -25}\n"
    "  - {id: careers, label: Careers, event: careers, points: -5, cap: 15}\n"
)
ceiling_events = st.lists(
    st.tuples(
        st.sampled_from(["page_view", "session", "email_bounce", "careers", "demo_request", "unsubscribe"]),
        st.integers(min_value=0, max_value=400 * 86_400),
        st.integers(min_value=-10, max_value=500),
    ),
    min_size=1,
    max_size=15,
)


@settings(max_examples=300, deadline=None)
@given(events=ceiling_events, later=st.integers(min_value=0, max_value=90 * 86_400), profile=profiles)
def test_a_ledgers_ceiling_is_never_below_what_it_is_worth_later(
    events: list[tuple[str, int, int]], later: int, profile: LeadProfile
) -> None:
    last = NOW - timedelta(seconds=min(seconds for _, seconds, _ in events))
    at = last + timedelta(seconds=later)
    for model in (SHAPED, MODEL):
        ledger = EngagementLedger()
        for kind, seconds, minutes in events:
            when = NOW - timedelta(seconds=seconds)
            ledger.record(model, Event(f"e{seconds}", kind, when, {"minutes": minutes, "url": "/pricing"}))
        exact = score_totals(model=model, profile=profile, ledger=ledger, at=at)

        assert fit_points(model, profile) + ledger.ceiling(model) + 0.1 >= exact.total

"""Properties of the scoring engine that hold for any lead and any events (hypothesis)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.model_source import load_scoring_model
from scoring import EngagementLedger, Event, LeadProfile, score_events, score_lead, score_totals

MODEL = load_scoring_model(None)
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
URLS = ["/pricing", "/demo", "/careers", "/blog/x", "/"]

profiles = st.builds(
    LeadProfile,
    email=st.sampled_from(["ana@acme.io", "bo@gmail.com", "cy@hubspot.com", "di@globex.example"]),
    title=st.sampled_from([None, "VP Sales", "CEO", "Student", "Marketing Manager", "Head of Growth"]),
    industry=st.sampled_from([None, "Software", "Media", "Retail"]),
    company_size=st.one_of(st.none(), st.integers(min_value=0, max_value=50_000)),
)
moments = st.integers(min_value=0, max_value=3 * 365 * 86_400).map(lambda s: NOW - timedelta(seconds=s))
event_types = st.sampled_from(sorted({rule.event for rule in MODEL.engagement} | {"podcast_listened"}))


@st.composite
def events(draw: st.DrawFn) -> Event:
    kind = draw(event_types)
    properties = {"url": draw(st.sampled_from(URLS))} if kind == "page_view" else {}
    return Event(f"e{draw(st.integers(0, 10**9))}", kind, draw(moments), properties)


def _is_positive(event: Event) -> bool:
    rule = MODEL.engagement_rule_for(event.type, event.properties)
    return rule is not None and rule.points > 0


@settings(max_examples=200, deadline=None)
@given(profile=profiles, history=st.lists(events(), max_size=30), extra=events())
def test_adding_a_positive_event_never_lowers_the_score(
    profile: LeadProfile, history: list[Event], extra: Event
) -> None:
    before = score_events(model=MODEL, profile=profile, events=history, at=NOW)
    after = score_events(model=MODEL, profile=profile, events=[*history, extra], at=NOW)

    if _is_positive(extra):
        assert after.total >= before.total
    else:
        assert after.total <= before.total


@settings(max_examples=200, deadline=None)
@given(
    profile=profiles,
    history=st.lists(events(), max_size=30),
    later=st.integers(min_value=1, max_value=400 * 86_400),
)
def test_decay_never_raises_the_score(profile: LeadProfile, history: list[Event], later: int) -> None:
    now = score_events(model=MODEL, profile=profile, events=history, at=NOW)
    afterwards = score_events(model=MODEL, profile=profile, events=history, at=NOW + timedelta(seconds=later))

    assert afterwards.total <= now.total


@settings(max_examples=200, deadline=None)
@given(profile=profiles, history=st.lists(events(), max_size=30))
def test_scoring_is_deterministic_and_order_independent(profile: LeadProfile, history: list[Event]) -> None:
    first = score_events(model=MODEL, profile=profile, events=history, at=NOW)
    again = score_events(model=MODEL, profile=profile, events=history, at=NOW)
    reversed_order = score_events(model=MODEL, profile=profile, events=history[::-1], at=NOW)

    assert again == first
    assert abs(reversed_order.total - first.total) <= 0.1
    assert abs(sum(c.points for c in first.contributions) - (first.fit + first.engagement)) <= 0.01


@settings(max_examples=200, deadline=None)
@given(profile=profiles, history=st.lists(events(), max_size=30))
def test_ledger_survives_storage_and_totals_match_the_explained_score(
    profile: LeadProfile, history: list[Event]
) -> None:
    ledger = EngagementLedger()
    for event in history:
        ledger.record(MODEL, event)
    stored = EngagementLedger.from_json(json.loads(json.dumps(ledger.to_json())))

    explained = score_lead(model=MODEL, profile=profile, ledger=stored, at=NOW)
    totals = score_totals(model=MODEL, profile=profile, ledger=stored, at=NOW)

    assert explained == score_lead(model=MODEL, profile=profile, ledger=ledger, at=NOW)
    assert (totals.total, totals.fit, totals.disqualified) == (
        explained.total,
        explained.fit,
        explained.disqualified,
    )
    assert abs(totals.engagement - explained.engagement) <= 0.01


@settings(max_examples=100, deadline=None)
@given(profile=profiles, history=st.lists(events(), min_size=1, max_size=20))
def test_splitting_events_across_batches_changes_nothing(profile: LeadProfile, history: list[Event]) -> None:
    """Ingestion folds each batch into the stored ledger; any split gives the whole-list score."""
    whole = score_events(model=MODEL, profile=profile, events=history, at=NOW)
    ledger = EngagementLedger()
    for start in range(0, len(history), 3):
        ledger = EngagementLedger.from_json(json.loads(json.dumps(ledger.to_json())))
        for event in history[start : start + 3]:
            ledger.record(MODEL, event)

    assert abs(score_lead(model=MODEL, profile=profile, ledger=ledger, at=NOW).total - whole.total) <= 0.1

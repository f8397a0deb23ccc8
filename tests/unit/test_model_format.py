"""The richer model format: missing/present, numeric tests on properties, all_of, a base score,
points per unit of a property, diminishing returns, custom attributes — and old files unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scoring import LeadProfile, ScoringModel, score_lead
from scoring.engine import EngagementLedger, score_totals
from scoring.facts import EventFact, LeadLife
from scoring.lifecycle import fold
from scoring.loader import ModelError, parse_model
from scoring.types import Event

T0 = datetime(2026, 5, 4, 9, tzinfo=UTC)
HEAD = "name: lab\nthresholds: {mql: 50, sql: 100}\n"


def model(body: str) -> ScoringModel:
    return parse_model(HEAD + body)


def engagement_after(m: ScoringModel, events: list[tuple[str, dict[str, Any]]]) -> float:
    ledger = EngagementLedger()
    for number, (kind, properties) in enumerate(events):
        ledger.record(m, Event(f"e{number}", kind, T0 + timedelta(minutes=number), properties))
    at = T0 + timedelta(hours=1)
    totals = score_totals(model=m, profile=LeadProfile(email="a@acme.io"), ledger=ledger, at=at)
    explained = score_lead(model=m, profile=LeadProfile(email="a@acme.io"), ledger=ledger, at=at)
    assert totals.engagement == explained.engagement  # the fast path and the explanation agree
    return totals.engagement


def fit_of(m: ScoringModel, **profile: Any) -> float:
    return score_lead(
        model=m, profile=LeadProfile(email="a@acme.io", **profile), ledger=EngagementLedger(), at=T0
    ).fit


def test_a_blank_title_can_be_a_signal_of_its_own() -> None:
    m = model("fit:\n  - {id: no_title, label: No title, field: title, when: {missing: true}, points: 15}\n")

    assert fit_of(m) == 15
    assert fit_of(m, title="   ") == 15
    assert fit_of(m, title="CEO") == 0


def test_present_passes_any_given_value() -> None:
    m = model(
        "fit:\n  - {id: has_phone, label: Phone, field: attributes.phone, when: {present: true}, points: 3}\n"
    )

    assert fit_of(m, attributes=(("phone", "+34 600"),)) == 3
    assert fit_of(m) == 0


def test_all_of_needs_every_test_across_fields() -> None:
    m = model(
        "fit:\n  - {id: big_no_title, label: Big, all_of: [{field: title, missing: true},"
        " {field: company_size, min: 200}], points: 20}\n"
    )

    assert fit_of(m, company_size=500) == 20
    assert fit_of(m, company_size=500, title="CTO") == 0
    assert fit_of(m, company_size=50) == 0


def test_a_base_score_is_part_of_fit_and_explained() -> None:
    m = model("base: 12\nfit:\n  - {id: vp, label: VP, field: title, when: {matches: vp}, points: 5}\n")

    score = score_lead(
        model=m, profile=LeadProfile(email="a@acme.io", title="VP"), ledger=EngagementLedger(), at=T0
    )

    assert score.fit == 17
    assert [(c.rule_id, c.label, c.points) for c in score.contributions] == [
        ("base", "Base score", 12),
        ("vp", "VP", 5),
    ]


def test_a_numeric_test_on_an_event_property_picks_the_events_that_count() -> None:
    m = model(
        "engagement:\n  - {id: long_visit, label: Long visit, event: session,"
        " where: {minutes: {min: 10}}, points: 4}\n"
    )

    events = [
        ("session", {"minutes": 12}),
        ("session", {"minutes": "15"}),
        ("session", {"minutes": 5}),
        ("session", {"minutes": "many"}),
        ("session", {}),
    ]

    assert engagement_after(m, events) == 8


def test_points_per_unit_of_a_property_are_capped() -> None:
    m = model(
        "engagement:\n  - {id: minutes, label: Minutes in app, event: session,"
        " per: minutes, points: 0.5, cap: 30}\n"
    )

    assert engagement_after(m, [("session", {"minutes": 20})]) == 10
    assert engagement_after(m, [("session", {"minutes": 40}), ("session", {"minutes": 40})]) == 30
    assert engagement_after(m, [("session", {"minutes": -5}), ("session", {"minutes": "x"})]) == 0


def test_a_log_curve_gives_diminishing_returns() -> None:
    m = model("engagement:\n  - {id: visits, label: Visits, event: page_view, points: 10, curve: log}\n")

    by_count = [engagement_after(m, [("page_view", {})] * count) for count in (1, 3, 7, 15)]

    assert by_count == [10, 20, 30, 40]


def test_a_missing_property_test_scores_events_without_it() -> None:
    m = model(
        "engagement:\n  - {id: organic, label: Organic visit, event: page_view,"
        " where: {utm_source: {missing: true}}, points: 2}\n"
    )

    assert (
        engagement_after(
            m, [("page_view", {}), ("page_view", {"utm_source": "ads"}), ("page_view", {"utm_source": ""})]
        )
        == 4
    )


def test_attributes_from_events_are_laid_over_the_known_ones() -> None:
    m = model(
        "fit:\n  - {id: pro, label: Pro plan, field: attributes.plan, when: {equals: pro}, points: 10}\n"
    )
    first = EventFact("e1", "page_view", T0, {}, {"attributes": {"plan": "free", "seats": 3}})
    later = EventFact("e2", "page_view", T0 + timedelta(days=1), {}, {"attributes": {"plan": "pro"}})

    state = fold(LeadLife(profile=LeadProfile(email="a@acme.io")), [later, first], m).state

    assert dict(state.profile.attributes) == {"plan": "pro", "seats": 3}
    assert fit_of(m, attributes=state.profile.attributes) == 10


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ("fit:\n  - {id: t, label: T, field: titel, when: {missing: true}, points: 5}\n", "fit[0] (t).field"),
        (
            "fit:\n  - {id: t, label: T, field: title, when: {missing: false}, points: 5}\n",
            "fit[0] (t).when.missing",
        ),
        ("fit:\n  - {id: t, label: T, field: title, points: 5}\n", "fit[0] (t)"),
        ("fit:\n  - {id: t, label: T, all_of: [{field: title}], points: 5}\n", "fit[0] (t).all_of[0]"),
        (
            "engagement:\n  - {id: m, label: M, event: s, where: {minutes: {min: abc}}, points: 1}\n",
            "engagement[0] (m).where.minutes.min",
        ),
        (
            "engagement:\n  - {id: m, label: M, event: s, per: minutes, curve: exp, points: 1}\n",
            "engagement[0] (m).curve",
        ),
        (
            "base: 5\nfit:\n  - {id: base, label: B, field: title, when: {present: true}, points: 1}\n",
            "(top level)",
        ),
    ],
)
def test_a_bad_rule_is_refused_with_the_path_of_the_wrong_field(body: str, path: str) -> None:
    with pytest.raises(ModelError) as refused:
        model(body)

    assert all(problem.startswith(path) for problem in refused.value.problems), refused.value.problems
    assert not any(".str" in problem or "function-after" in problem for problem in refused.value.problems)

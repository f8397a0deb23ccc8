"""The built-in model's behaviour, the stage machine, and bad model files refused by path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.model_source import builtin_model_text, load_scoring_model
from scoring import Decision, Event, LeadProfile, ModelError, Stage, StageError, advance, decide, parse_model
from scoring import score_events as _score_events

MODEL = load_scoring_model(None)
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)
HEAD = "name: x\nthresholds: {mql: 50, sql: 100}\n"
FIT = LeadProfile(email="ana@acme.io", title="VP Sales", industry="Software", company_size=250)


def score(profile: LeadProfile = FIT, *events: Event, at: datetime = NOW):  # type: ignore[no-untyped-def]
    return _score_events(model=MODEL, profile=profile, events=list(events), at=at)


def ev(kind: str, days_ago: float = 0, url: str | None = None) -> Event:
    return Event(
        f"{kind}-{days_ago}-{url}", kind, NOW - timedelta(days=days_ago), {"url": url} if url else {}
    )


def rules(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {c.rule_id for c in result.contributions}


def test_only_the_first_seniority_rule_counts() -> None:
    result = score(LeadProfile(email="a@acme.io", title="VP and Director of Sales"))

    assert rules(result) == {"seniority_vp"}
    assert result.fit == 20


def test_students_and_competitors_are_disqualified() -> None:
    assert score(LeadProfile(email="a@uni.edu", title="Student")).disqualified
    assert score(LeadProfile(email="spy@hubspot.com", title="VP Sales")).disqualified
    assert not score(FIT).disqualified


def test_free_mail_costs_fit_points() -> None:
    assert score(LeadProfile(email="ana@gmail.com")).fit == -15


def test_a_rule_is_capped() -> None:
    result = score(FIT, *[ev("page_view", days_ago=0, url=f"/pricing?{n}") for n in range(20)])

    pricing = next(c for c in result.contributions if c.rule_id == "pricing_page")
    assert (pricing.points, pricing.capped, pricing.events) == (30, True, 20)


def test_points_halve_every_half_life() -> None:
    result = score(FIT, ev("page_view", days_ago=14, url="/pricing"))

    pricing = next(c for c in result.contributions if c.rule_id == "pricing_page")
    assert pricing.points == pytest.approx(5, abs=0.01)
    assert pricing.decay_factor == pytest.approx(0.5, abs=0.001)


def test_penalties_do_not_fade() -> None:
    fresh = score(FIT, ev("unsubscribe", days_ago=0))
    old = score(FIT, ev("unsubscribe", days_ago=300))

    assert fresh.engagement == old.engagement == -20


def test_unknown_event_types_score_nothing() -> None:
    assert score(FIT, ev("podcast_listened")).engagement == 0
    assert not MODEL.knows_event("podcast_listened")


def test_the_first_matching_engagement_rule_scores_an_event() -> None:
    assert rules(score(FIT, ev("page_view", url="/pricing"))) >= {"pricing_page"}
    assert "page_view" not in rules(score(FIT, ev("page_view", url="/pricing")))
    assert "page_view" in rules(score(FIT, ev("page_view", url="/blog/x")))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/pricing", "pricing_page"),
        ("https://acme.io/PRICING?plan=team", "pricing_page"),
        ("/careers/engineering", "careers_page"),
        ("/blog", "page_view"),
        (None, "page_view"),
        ("/" + "x" * 2000 + "/pricing", "pricing_page"),
    ],
)
def test_a_page_view_scores_by_its_url_every_time_it_is_seen(url: str | None, expected: str) -> None:
    properties = {"url": url} if url else {}

    first = MODEL.engagement_rule_for("page_view", properties)
    again = MODEL.engagement_rule_for("page_view", dict(properties))

    assert first is not None
    assert again is first
    assert first.id == expected


def test_demo_request_from_fit_lead_makes_sql() -> None:
    move = advance(
        stage=Stage.LEAD,
        score=score(FIT),
        thresholds=MODEL.thresholds,
        hand_raise="demo_request",
        recycle_until=None,
    )

    assert move is not None
    assert (move.to_stage, move.reason) == (Stage.SQL, "hand raised: demo_request")


def test_disqualified_lead_never_moves_even_with_a_hand_raise() -> None:
    student = score(LeadProfile(email="a@uni.edu", title="Student"), *[ev("trial_signup")] * 5)

    assert (
        advance(
            stage=Stage.LEAD,
            score=student,
            thresholds=MODEL.thresholds,
            hand_raise="contact_sales",
            recycle_until=None,
        )
        is None
    )


def test_mql_at_50_and_sql_needs_100_with_fit_20() -> None:
    mql = score(FIT, ev("trial_signup"))  # fit 42 + 25
    no_fit = score(
        LeadProfile(email="x@acme.io"),
        *[
            ev(kind)
            for kind in ("trial_signup", "webinar_attended", "form_submit", "content_download", "email_click")
        ]
        * 3,
    )

    assert (
        advance(
            stage=Stage.LEAD, score=mql, thresholds=MODEL.thresholds, hand_raise=None, recycle_until=None
        ).to_stage
        == Stage.MQL
    )  # type: ignore[union-attr]
    assert no_fit.total >= 100
    assert (
        advance(
            stage=Stage.MQL, score=no_fit, thresholds=MODEL.thresholds, hand_raise=None, recycle_until=None
        )
        is None
    )


@pytest.mark.parametrize("stage", [Stage.MQL, Stage.SQL, Stage.ACCEPTED, Stage.REJECTED])
def test_stages_never_move_backwards_through_scoring(stage: Stage) -> None:
    assert (
        advance(
            stage=stage,
            score=score(LeadProfile(email="x@gmail.com")),
            thresholds=MODEL.thresholds,
            hand_raise=None,
            recycle_until=None,
        )
        is None
    )


def test_recycled_lead_waits_for_its_date_unless_it_raises_its_hand() -> None:
    hot = score(FIT, *[ev(kind) for kind in ("trial_signup", "webinar_attended", "form_submit")] * 2)
    until = NOW + timedelta(days=30)

    held = advance(
        stage=Stage.RECYCLED, score=hot, thresholds=MODEL.thresholds, hand_raise=None, recycle_until=until
    )
    raised = advance(
        stage=Stage.RECYCLED,
        score=hot,
        thresholds=MODEL.thresholds,
        hand_raise="demo_request",
        recycle_until=until,
    )
    later = until + timedelta(days=1)
    hot_later = _score_events(
        model=MODEL,
        profile=FIT,
        at=later,
        events=[
            Event(f"{k}{n}", k, later, {})
            for k in ("trial_signup", "webinar_attended", "form_submit")
            for n in range(2)
        ],
    )
    after = advance(
        stage=Stage.RECYCLED,
        score=hot_later,
        thresholds=MODEL.thresholds,
        hand_raise=None,
        recycle_until=until,
    )

    assert held is None
    assert raised is not None
    assert raised.to_stage == Stage.SQL
    assert after is not None
    assert after.to_stage == Stage.SQL


@pytest.mark.parametrize(
    ("decision", "stage"),
    [
        (Decision.ACCEPT, Stage.ACCEPTED),
        (Decision.REJECT, Stage.REJECTED),
        (Decision.RECYCLE, Stage.RECYCLED),
    ],
)
def test_sales_decisions_move_an_sql(decision: Decision, stage: Stage) -> None:
    assert decide(stage=Stage.SQL, decision=decision).to_stage == stage


def test_only_an_sql_can_be_decided() -> None:
    with pytest.raises(StageError, match="only an SQL"):
        decide(stage=Stage.MQL, decision=Decision.ACCEPT)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("name: x\nthresholds: {mql: 50, sql: 100\n", "line"),
        ("- just\n- a list\n", "must be a mapping"),
        ("name: x\n", "thresholds: Field required"),
        ("name: x\nthresholds: {mql: 50, sql: 40}\n", "sql must be at least mql"),
        (
            "name: x\nthresholds: {mql: 50, sql: 100}\nengagement:\n - {id: web, label: W, event: page_view,"
            " points: 1, half_life_days: -3}\n",
            "engagement[0] (web).half_life_days",
        ),
        (
            HEAD + "engagement:\n - {id: bye, label: B, event: unsubscribe,"
            " points: -5, half_life_days: 10}\n",
            "negative rule cannot decay",
        ),
        (
            "name: x\nthresholds: {mql: 50, sql: 100}\nfit:\n - {id: t, label: T, field: title,"
            " when: {matches: '(unclosed'}, points: 5}\n",
            "fit[0] (t).when.matches",
        ),
        (
            "name: x\nthresholds: {mql: 50, sql: 100}\nfit:\n - {id: t, label: T, field: title,"
            " when: {equals: a, matches: b}, points: 5}\n",
            "exactly one of",
        ),
        (
            HEAD + "engagement:\n - {id: a, label: A, event: x, pionts: 3}\n",
            "engagement[0] (a).pionts",
        ),
        (
            HEAD + "engagement:\n - {id: a, label: A, event: x, points: 1}\n"
            " - {id: a, label: B, event: y, points: 1}\n",
            "repeated: a",
        ),
    ],
)
def test_bad_model_is_refused_naming_the_field(text: str, path: str) -> None:
    with pytest.raises(ModelError) as refused:
        parse_model(text, source="model.yaml")

    assert path in str(refused.value)
    assert "model.yaml" in str(refused.value)


def test_the_built_in_model_loads_with_its_hand_raises() -> None:
    model = parse_model(builtin_model_text())

    assert set(model.thresholds.hand_raise) == {"demo_request", "contact_sales"}
    assert (model.thresholds.mql, model.thresholds.sql, model.thresholds.sql_min_fit) == (50, 100, 20)

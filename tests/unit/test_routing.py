"""Routing rules as pure functions: the right route, the right rep in turn, working time."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import LeadProfile
from scoring.loader import ModelError, parse_routing
from scoring.routing import Member, RepState, RoutedLead, Routing, Team, assign, next_rep, route_for
from scoring.working_hours import WorkingHours

ROUTING = parse_routing(
    """
teams:
  emea:
    members: [{user: U0ANA, weight: 2}, {user: U0BEN, cap: 3}]
    hours: {timezone: Europe/Madrid, start: "09:00", end: "18:00", holidays: [2026-12-25]}
    fallback: global
  global:
    members: [{user: U0CAL}]
    hours: {timezone: UTC, days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "23:59"}
routes:
  - name: owners
    account_owner: true
    channel: C0SALES
  - name: emea-enterprise
    when: [{field: country, one_of: [ES, DE, GB]}, {field: company_size, min: 1000}]
    channel: C0EMEA
    team: emea
  - name: demos
    when: [{field: trigger, equals: demo_request}, {field: score, min: 60}]
    channel: C0DEMOS
    team: global
  - name: everyone
    channel: C0SALES
"""
)
ROUTE = "routes: [{name: a, channel: C0A}]"
MONDAY_NOON = datetime(2026, 11, 30, 11, tzinfo=UTC)  # 12:00 in Madrid


def lead(
    *, owner: str | None = None, trigger: str | None = None, score: float = 100, **profile: object
) -> RoutedLead:
    return RoutedLead(LeadProfile(email="ana@acme.io", **profile), score, 30, trigger, owner)  # type: ignore[arg-type]


def test_routes_are_tried_top_to_bottom() -> None:
    assert route_for(ROUTING, lead(country="ES", company_size=5000)).name == "emea-enterprise"  # type: ignore[union-attr]
    assert route_for(ROUTING, lead(country="US", company_size=5000)).name == "everyone"  # type: ignore[union-attr]
    assert route_for(ROUTING, lead(owner="U0ANA", country="ES", company_size=5000)).name == "owners"  # type: ignore[union-attr]
    assert route_for(ROUTING, lead(trigger="demo_request", score=70)).name == "demos"  # type: ignore[union-attr]
    assert route_for(ROUTING, lead(trigger="demo_request", score=40)).name == "everyone"  # type: ignore[union-attr]


def test_an_away_rep_is_skipped_and_the_next_takes_the_turn() -> None:
    emea = ROUTING.teams["emea"]

    chosen = next_rep(emea, turns={}, states={"U0ANA": RepState(away=True)}, now=MONDAY_NOON)

    assert chosen is not None
    assert chosen.user == "U0BEN"


def test_a_rep_at_their_cap_is_skipped_and_nobody_left_means_the_fallback_team() -> None:
    states = {"U0ANA": RepState(away=True), "U0BEN": RepState(open_handoffs=3)}

    taken = assign(ROUTING, "emea", turns={}, states=states, now=MONDAY_NOON)

    assert taken is not None
    assert (taken[0], taken[1].user) == ("global", "U0CAL")


def test_outside_working_hours_the_fallback_team_takes_it() -> None:
    saturday = datetime(2026, 11, 28, 11, tzinfo=UTC)
    christmas = datetime(2026, 12, 25, 11, tzinfo=UTC)

    for moment in (saturday, christmas):
        taken = assign(ROUTING, "emea", turns={}, states={}, now=moment)
        assert taken is not None
        assert taken[0] == "global"


@given(
    weights=st.lists(st.integers(min_value=1, max_value=4), min_size=2, max_size=5), leads=st.integers(1, 300)
)
def test_turns_follow_the_weights_within_one_lead(weights: list[int], leads: int) -> None:
    team = Team(members=tuple(Member(user=f"U0REP{n}", weight=w) for n, w in enumerate(weights)))
    always = WorkingHours(days=("mon", "tue", "wed", "thu", "fri", "sat", "sun"), start="00:00", end="23:59")
    team = team.model_copy(update={"hours": always})
    turns: Counter[str] = Counter()
    for _ in range(leads):
        member = next_rep(team, turns=turns, states={}, now=MONDAY_NOON)
        assert member is not None
        turns[member.user] += 1

    for n, weight in enumerate(weights):
        assert abs(turns[f"U0REP{n}"] - leads * weight / sum(weights)) <= 1


def test_working_minutes_skip_nights_weekends_and_holidays() -> None:
    hours = WorkingHours(timezone="Europe/Madrid", start="09:00", end="18:00", holidays=(date(2026, 12, 25),))
    friday_five = datetime(2026, 12, 4, 16, tzinfo=UTC)  # 17:00 in Madrid
    monday_ten = datetime(2026, 12, 7, 9, tzinfo=UTC)  # 10:00
    christmas_eve_five = datetime(2026, 12, 24, 16, tzinfo=UTC)
    boxing_day_ten = datetime(2026, 12, 26, 9, tzinfo=UTC)  # a Saturday

    assert hours.minutes_between(friday_five, monday_ten) == 120
    assert hours.minutes_between(christmas_eve_five, boxing_day_ten) == 60
    assert hours.minutes_between(monday_ten, friday_five) == 0


def test_a_countrys_public_holidays_are_not_working_time() -> None:
    spain = WorkingHours(timezone="Europe/Madrid", start="09:00", end="18:00", country="ES")
    monday_five = datetime(2026, 1, 5, 16, tzinfo=UTC)  # 17:00 in Madrid
    wednesday_ten = datetime(2026, 1, 7, 9, tzinfo=UTC)  # Tuesday 6 January is Epiphany

    assert spain.minutes_between(monday_five, wednesday_ten) == 120
    assert not spain.is_working(datetime(2026, 1, 6, 11, tzinfo=UTC))
    assert spain.is_working(datetime(2026, 1, 7, 11, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("routes: [{name: a, channel: C0A, team: nobody}]", "(top level)"),
        (
            "routes: [{name: a, channel: C0A, when: [{field: colour, equals: red}]}]",
            "routes[0].when[0].field",
        ),
        ("routes: [{name: a, channel: general}]", "routes[0].channel"),
        (
            "teams: {t: {members: [{user: U0A}], hours: {timezone: Mars/Base}}}\n" + ROUTE,
            "teams.t.hours.timezone",
        ),
        (
            "teams: {t: {members: [{user: U0A}], hours: {start: '18:00', end: '09:00'}}}\n" + ROUTE,
            "teams.t.hours",
        ),
        ("teams: {t: {members: []}}\nroutes: [{name: a, channel: C0A}]", "teams.t.members"),
        ("teams: {t: {members: [{user: U0A}], hours: {country: XX}}}\n" + ROUTE, "teams.t.hours"),
    ],
)
def test_a_bad_routing_file_is_refused_with_the_path_of_the_wrong_field(text: str, path: str) -> None:
    with pytest.raises(ModelError, match="routing file") as refused:
        parse_routing(text)

    assert any(problem.startswith(path) for problem in refused.value.problems), refused.value.problems


def test_a_routing_file_with_routes_is_required() -> None:
    with pytest.raises(ModelError, match="teams and routes"):
        parse_routing("- just a list")
    assert isinstance(ROUTING, Routing)


def test_when_no_team_is_working_the_routes_own_team_still_takes_it() -> None:
    routing = parse_routing(
        """
teams:
  emea:
    members: [{user: U0ANA}]
    hours: {timezone: Europe/Madrid}
routes: [{name: a, channel: C0A, team: emea}]
"""
    )
    saturday = datetime(2026, 11, 28, 11, tzinfo=UTC)

    taken = assign(routing, "emea", turns={}, states={}, now=saturday)

    assert taken is not None
    assert (taken[0], taken[1].user) == ("emea", "U0ANA")
    assert assign(routing, "emea", turns={}, states={"U0ANA": RepState(away=True)}, now=saturday) is None


def test_an_sla_due_time_counts_working_minutes_only() -> None:
    hours = WorkingHours(timezone="Europe/Madrid", start="09:00", end="18:00", country="ES")
    friday_half_five = datetime(2026, 12, 4, 16, 30, tzinfo=UTC)  # 17:30 in Madrid
    christmas_eve_five = datetime(2026, 12, 24, 16, tzinfo=UTC)

    assert hours.add_minutes(friday_half_five, 60) == datetime(2026, 12, 7, 8, 30, tzinfo=UTC)
    assert hours.add_minutes(christmas_eve_five, 120) == datetime(2026, 12, 28, 9, tzinfo=UTC)
    wednesday_ten = datetime(2026, 12, 2, 9, tzinfo=UTC)
    assert hours.add_minutes(wednesday_ten, 30) == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    minutes=st.integers(1, 5000),
)
def test_the_due_time_is_exactly_that_many_working_minutes_later(start: datetime, minutes: int) -> None:
    hours = WorkingHours(timezone="Europe/Madrid", start="09:00", end="18:00", country="ES")
    begin = start.replace(tzinfo=UTC)

    due = hours.add_minutes(begin, minutes)

    assert abs(hours.minutes_between(begin, due) - minutes) < 1e-6

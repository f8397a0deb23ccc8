"""Routing rules: which channel and team a new SQL goes to, and which rep of the team takes it.

Pure data, validation and choice; the turn counts, rep states and the clock are passed in (the
service keeps them in the database, so replicas share one turn).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from scoring.conditions import PROFILE_FIELDS, Condition, Strict, profile_field
from scoring.types import LeadProfile
from scoring.working_hours import WorkingHours

#: Besides profile fields and attributes, a route may test the SQL's score, fit and trigger type.
SQL_FIELDS = ("score", "fit", "trigger")


class RouteTest(Condition):
    """A condition on a profile field, an attribute, or the SQL's ``score``, ``fit`` or ``trigger``."""

    field: str

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if name in SQL_FIELDS:
            return name
        try:
            return profile_field(name)
        except ValueError:
            known = ", ".join((*PROFILE_FIELDS, *SQL_FIELDS))
            raise ValueError(
                f"{name!r} cannot be routed on: use one of {known} or attributes.<name>"
            ) from None


class Member(Strict):
    """A rep of a team: their Slack user id, their share of the turns, and at most how many open
    handoffs they hold (None: no cap)."""

    user: str = Field(pattern=r"^[UW][A-Z0-9]{2,}$")
    weight: float = Field(default=1, gt=0)
    cap: int | None = Field(default=None, ge=1)


class Team(Strict):
    """Reps taking turns, the hours they work, the team that takes over when none can, and what an
    escalation does: mention (the thread line only) or reassign (the card passes to the next rep)."""

    members: tuple[Member, ...] = Field(min_length=1)
    hours: WorkingHours = WorkingHours()
    fallback: str | None = None
    on_escalation: Literal["mention", "reassign"] = "mention"


class Route(Strict):
    """Where an SQL goes when all of ``when`` pass (or, ``account_owner``, when its domain has an
    owner): a channel, and the team that takes it (none: nobody owns it)."""

    name: str = Field(min_length=1, max_length=80)
    when: tuple[RouteTest, ...] = ()
    account_owner: bool = False
    channel: str = Field(pattern=r"^[CG][A-Z0-9]{2,}$")
    team: str | None = None


class Routing(Strict):
    """A routing file: teams by name and routes tried top to bottom."""

    teams: dict[str, Team] = Field(default_factory=dict)
    routes: tuple[Route, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _teams_known(self) -> Routing:
        named = [route.team for route in self.routes] + [team.fallback for team in self.teams.values()]
        missing = sorted({name for name in named if name is not None and name not in self.teams})
        if missing:
            raise ValueError(
                f"unknown team(s): {', '.join(missing)}; teams are {', '.join(self.teams) or 'none'}"
            )
        return self


@dataclass(frozen=True, slots=True)
class RoutedLead:
    """What routing reads of a new SQL: the lead's profile then, its score and fit, the event type
    that triggered it, and the owner of its account (free-mail domains never have one)."""

    profile: LeadProfile
    score: float
    fit: float
    trigger: str | None = None
    account_owner: str | None = None

    def value_of(self, name: str) -> Any:
        """The value a route test reads for ``name``."""
        if name in SQL_FIELDS:
            return {"score": self.score, "fit": self.fit, "trigger": self.trigger}[name]
        return self.profile.value_of(name)


def route_for(routing: Routing, lead: RoutedLead) -> Route | None:
    """The first route whose tests all pass (None: no route takes it)."""
    for route in routing.routes:
        if route.account_owner and lead.account_owner is None:
            continue
        if all(test.test(lead.value_of(test.field)) for test in route.when):
            return route
    return None


@dataclass(frozen=True, slots=True)
class RepState:
    """A rep as assignment sees them: away or not, and how many open handoffs they hold."""

    away: bool = False
    open_handoffs: int = 0


def next_rep(
    team: Team,
    *,
    turns: Mapping[str, int],
    states: Mapping[str, RepState],
    now: datetime,
    anytime: bool = False,
) -> Member | None:
    """The rep whose turn it is: of those present, under their cap and working now (``anytime``:
    whatever the hour), the one furthest behind their weighted share once this lead is counted (ties:
    the first listed), so each rep's turns stay within about one lead of their share (within one for
    whole-number weights). None when nobody can."""
    if not anytime and not team.hours.is_working(now):
        return None
    able = [member for member in team.members if _can_take(member, states.get(member.user, RepState()))]
    if not able:
        return None
    after = sum(turns.get(member.user, 0) for member in able) + 1
    weights = sum(member.weight for member in able)
    return max(able, key=lambda member: after * member.weight / weights - turns.get(member.user, 0))


def assign(
    routing: Routing,
    team_name: str,
    *,
    turns: Mapping[str, Mapping[str, int]],
    states: Mapping[str, RepState],
    now: datetime,
) -> tuple[str, Member] | None:
    """The team (``team_name``, else its fallbacks in turn) and rep that take the SQL, by the turns
    each team has given (team name → rep → turns). When no team
    is working now, the first whose rep can take it when they next work (their SLA counts working
    time only); None when every rep is away or at their cap."""
    for anytime in (False, True):
        for name in chain(routing, team_name):
            team = routing.teams[name]
            member = next_rep(team, turns=turns.get(name, {}), states=states, now=now, anytime=anytime)
            if member is not None:
                return name, member
    return None


def chain(routing: Routing, team_name: str) -> list[str]:
    """``team_name`` and its fallbacks, in the order they are tried."""
    chain: list[str] = []
    name: str | None = team_name
    while name is not None and name not in chain:
        chain.append(name)
        name = routing.teams[name].fallback
    return chain


def _can_take(member: Member, state: RepState) -> bool:
    return not state.away and (member.cap is None or state.open_handoffs < member.cap)

"""The digest's numbers per rep and per route: the week's routed handoffs (by when their card was
opened), grouped by who holds them, their route, where they stand and whether they broke their SLA."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import Session

from scoring.types import HandoffStatus
from storage.tables import HandoffRow, table

_handoffs = table(HandoffRow)


@dataclass(frozen=True, slots=True)
class OwnerGroup:
    """How many of the week's routed handoffs share a holder (None: nobody), a route, a status and
    whether their SLA was broken."""

    assignee: str | None
    route: str | None
    status: str
    breached: bool
    count: int


@dataclass(frozen=True, slots=True)
class DecidedRouted:
    """A routed handoff of the week that was decided: who held it, its route and team, when its card
    was opened and when it was decided."""

    assignee: str | None
    route: str | None
    team: str | None
    created_at: datetime
    decided_at: datetime


def _in_week(week: tuple[datetime, datetime]) -> ColumnElement[bool]:
    return and_(
        _handoffs.c.created_at >= week[0],
        _handoffs.c.created_at < week[1],
        _handoffs.c.status != HandoffStatus.HISTORY,
        or_(_handoffs.c.assignee.is_not(None), _handoffs.c.route.is_not(None)),
    )


class OwnerQueries:
    """Aggregates of routed handoffs for the weekly digest, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def groups(self, week: tuple[datetime, datetime], *, now: datetime) -> list[OwnerGroup]:
        """The week's routed handoffs counted per holder, route, status and SLA broken: decided
        after their due time, or still open past it at ``now``."""
        due, decided = _handoffs.c.sla_due_at, _handoffs.c.decided_at
        breached = case((and_(due < now, or_(decided.is_(None), decided > due)), 1), else_=0)
        keys = (_handoffs.c.assignee, _handoffs.c.route, _handoffs.c.status, breached)
        query = select(*keys, func.count()).where(_in_week(week)).group_by(*keys)
        return [
            OwnerGroup(assignee, route, str(status), bool(broke), int(count))
            for assignee, route, status, broke, count in self._session.execute(query)
        ]

    def decided(self, week: tuple[datetime, datetime]) -> list[DecidedRouted]:
        """The week's decided routed handoffs one by one: time to decide in working time needs each
        team's calendar, which only the routing file (not the database) knows."""
        query = (
            select(
                _handoffs.c.assignee,
                _handoffs.c.route,
                _handoffs.c.team,
                _handoffs.c.created_at,
                _handoffs.c.decided_at,
            )
            .where(_in_week(week), _handoffs.c.status.in_(HandoffStatus.decided()))
            .where(_handoffs.c.decided_at.is_not(None))
            .order_by(_handoffs.c.id)
        )
        return [DecidedRouted(*row) for row in self._session.execute(query)]

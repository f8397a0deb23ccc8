"""The digest's "By owner" section: each rep's and each route's handoffs of the week, with the median
time to decide counted in the team's working hours when the routing file still has the team, in
calendar time otherwise."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Sequence

from bot.services.digest_report import BOTH_CLOCKS, CALENDAR, WORKING, OwnerRow
from scoring.routing import Routing
from scoring.types import HandoffStatus
from storage.owner_queries import DecidedRouted, OwnerGroup

_COLUMNS = {
    HandoffStatus.ACCEPTED: "accepted",
    HandoffStatus.REJECTED: "rejected",
    HandoffStatus.RECYCLED: "recycled",
    HandoffStatus.OPEN: "open",
}


def owner_rows(
    *, groups: Sequence[OwnerGroup], decided: Sequence[DecidedRouted], routing: Routing | None
) -> tuple[list[OwnerRow], list[OwnerRow]]:
    """Per rep (who holds each handoff now) and per route, most handoffs first."""
    return (
        _rows(groups, decided, routing=routing, key=lambda item: item.assignee),
        _rows(groups, decided, routing=routing, key=lambda item: item.route),
    )


def time_to_decide(item: DecidedRouted, *, routing: Routing | None) -> tuple[float, str]:
    """Seconds from card to decision, in the team's working time when the routing file has the team
    (else calendar time), and which clock counted them."""
    team = routing.teams.get(item.team) if routing is not None and item.team is not None else None
    if team is None:
        return (item.decided_at - item.created_at).total_seconds(), CALENDAR
    return team.hours.minutes_between(item.created_at, item.decided_at) * 60, WORKING


def _rows(
    groups: Sequence[OwnerGroup],
    decided: Sequence[DecidedRouted],
    *,
    routing: Routing | None,
    key: Callable[[OwnerGroup | DecidedRouted], str | None],
) -> list[OwnerRow]:
    tallies: dict[str, Counter[str]] = {}
    for group in groups:
        name, column = key(group), _COLUMNS.get(HandoffStatus(group.status))
        if name is None or column is None:
            continue
        tally = tallies.setdefault(name, Counter())
        tally["handoffs"] += group.count
        tally[column] += group.count
        tally["breaches"] += group.count if group.breached else 0
    times: dict[str, list[tuple[float, str]]] = {}
    for item in decided:
        if (name := key(item)) is not None:
            times.setdefault(name, []).append(time_to_decide(item, routing=routing))
    rows = [_row(name, tally, times.get(name, [])) for name, tally in tallies.items()]
    return sorted(rows, key=lambda row: (-row.handoffs, row.name))


def _row(name: str, tally: Counter[str], times: list[tuple[float, str]]) -> OwnerRow:
    clocks = {clock for _, clock in times}
    return OwnerRow(
        name,
        handoffs=tally["handoffs"],
        accepted=tally["accepted"],
        rejected=tally["rejected"],
        recycled=tally["recycled"],
        open=tally["open"],
        breaches=tally["breaches"],
        median_seconds_to_decide=statistics.median(seconds for seconds, _ in times) if times else None,
        clock=(clocks.pop() if len(clocks) == 1 else BOTH_CLOCKS) if clocks else None,
    )

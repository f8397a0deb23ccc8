"""The digest's "By owner" section as a manager reads it: per rep and per route, time to decide in
the team's working hours (or calendar time, said so), SLA breaches, top 8 and "+k more"."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from rich.console import Console

from bot.services.digest_owners import owner_rows
from bot.services.digest_report import OwnerRow
from bot.slack.digest_blocks import digest_message
from bot.terminal.render_digest import print_digest
from scoring.routing import Routing
from storage.owner_queries import DecidedRouted, OwnerGroup
from tests.unit.test_digest_rendering import BUSY, _valid

ROUTING = Routing.model_validate(
    {
        "teams": {"core": {"members": [{"user": "U0ANA"}], "hours": {"start": "09:00", "end": "17:00"}}},
        "routes": [{"name": "everyone", "channel": "C0SALES001", "team": "core"}],
    }
)
MONDAY_FOUR_PM = datetime(2026, 11, 16, 16, tzinfo=UTC)
TUESDAY_HALF_NINE = datetime(2026, 11, 17, 9, 30, tzinfo=UTC)  # 90 working minutes later


def group(assignee: str | None, status: str, count: int = 1, *, breached: bool = False) -> OwnerGroup:
    return OwnerGroup(assignee, "everyone", status, breached, count)


def test_reps_and_routes_count_outcomes_breaches_and_working_time_to_decide() -> None:
    groups = [
        group("U0ANA", "accepted", breached=True),
        group("U0ANA", "open", breached=True),
        group("U0BEN", "rejected", 2),
        group(None, "open"),  # no rep could take it: the route counts it, no rep does
    ]
    decided = [
        DecidedRouted("U0ANA", "everyone", "core", MONDAY_FOUR_PM, TUESDAY_HALF_NINE),
        DecidedRouted("U0BEN", "everyone", "core", MONDAY_FOUR_PM, MONDAY_FOUR_PM + timedelta(minutes=20)),
        DecidedRouted("U0BEN", "everyone", "core", MONDAY_FOUR_PM, MONDAY_FOUR_PM + timedelta(minutes=40)),
    ]

    reps, routes = owner_rows(groups=groups, decided=decided, routing=ROUTING)

    assert [row.name for row in reps] == ["U0ANA", "U0BEN"]  # a tie in volume: by name
    ana, ben = reps
    assert (ana.handoffs, ana.accepted, ana.open, ana.breaches) == (2, 1, 1, 2)
    assert (ana.median_seconds_to_decide, ana.clock) == (90 * 60, "working hours")
    assert (ben.rejected, ben.median_seconds_to_decide, ben.breaches) == (2, 30 * 60, 0)
    (route,) = routes
    assert (route.name, route.handoffs, route.open, route.decided) == ("everyone", 5, 2, 3)


def test_a_team_no_longer_in_the_routing_file_counts_calendar_time_and_says_so() -> None:
    groups = [group("U0ANA", "accepted"), group("U0ANA", "accepted")]
    gone = DecidedRouted("U0ANA", "everyone", "old-team", MONDAY_FOUR_PM, TUESDAY_HALF_NINE)
    kept = DecidedRouted("U0ANA", "everyone", "core", MONDAY_FOUR_PM, TUESDAY_HALF_NINE)

    (calendar,), _ = owner_rows(groups=groups[:1], decided=[gone], routing=ROUTING)
    (unrouted,), _ = owner_rows(groups=groups[:1], decided=[kept], routing=None)
    (mixed,), _ = owner_rows(groups=groups, decided=[gone, kept], routing=ROUTING)

    assert (calendar.median_seconds_to_decide, calendar.clock) == (17.5 * 3600, "calendar")
    assert unrouted.clock == "calendar"
    assert mixed.clock == "working hours and calendar"


def test_the_digest_shows_reps_and_routes_top_eight_with_the_rest_counted() -> None:
    reps = [
        OwnerRow("U0ANA", 4, 2, 1, 0, 1, 1, 90 * 60, "working hours"),
        *[OwnerRow(f"U0REP{n}", 1, 1, 0, 0, 0, 0, 26 * 3600, "calendar") for n in range(9)],
    ]
    routes = [OwnerRow("<!channel> emea", 13, 11, 1, 0, 1, 1, 3600, "working hours and calendar")]
    report = replace(BUSY, by_owner=reps, by_route=routes)

    _, blocks = digest_message(report, week_label="week of 16 Nov 2026")

    _valid(blocks)
    owners = next(b["text"]["text"] for b in blocks if "By owner" in b.get("text", {}).get("text", ""))
    lines = owners.splitlines()
    assert lines[1] == (
        "• <@U0ANA> — 4 handoffs: 2 accepted (67%), 1 rejected, 0 recycled, 1 open"
        " · median time to decide 1 h 30 min (working hours) · 1 SLA breach"
    )
    assert "median time to decide 1 d 2 h (calendar) · no SLA breach" in lines[2]
    assert len(lines) == 1 + 8 + 1
    assert lines[-1] == "+2 more (2 handoffs)"
    rendered = str(blocks)
    assert "*&lt;!channel&gt; emea* — 13 handoffs" in rendered
    assert "(working hours and calendar)" in rendered
    assert rendered.index("By owner") < rendered.index("By route") < rendered.index("Calibration")


def test_a_week_without_routed_handoffs_has_no_owner_section() -> None:
    _, blocks = digest_message(BUSY, week_label="week of 16 Nov 2026")

    assert "By owner" not in str(blocks)
    assert "By route" not in str(blocks)


def test_the_terminal_digest_lists_reps_and_routes() -> None:
    row = OwnerRow("U0ANA", 2, 1, 0, 0, 1, 2, 90 * 60, "working hours")
    report = replace(BUSY, by_owner=[row], by_route=[row])
    console = Console(record=True, width=160)

    print_digest(console, report, week_label="week of 16 Nov 2026")

    output = console.export_text()
    assert "By owner" in output
    assert "By route" in output
    assert "1 h 30 min (working hours)" in output
    assert "SLA breaches" in output

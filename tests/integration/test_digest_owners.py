"""Routed handoffs in the weekly digest and in a rep's App Home, through the real path (routing file,
ingestion, decisions), on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.runtime import Runtime, build_runtime
from bot.services.cards import home_views
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.digest import compute_digest
from bot.services.digest_report import DigestReport, OwnerRow
from bot.services.rep_home import rep_queue
from bot.services.reps import set_away
from bot.slack.digest_blocks import digest_message
from bot.slack.home import home_view
from scoring import Decision
from scoring.routing import Routing
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import make_settings
from tests.unit.test_blocks import texts

ROUTING = """
teams:
  core:
    members: [{user: U0ANA}, {user: U0BEN}]
    hours: {timezone: UTC, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:00"}
routes: [{name: everyone, channel: C0SALES001, team: core}]
"""
MONDAY = date(2026, 11, 16)
OPENED = datetime(2026, 11, 16, 16, 0, tzinfo=UTC)  # an hour before the team's day ends
DIGEST_AT = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def routed(database_url: str, tmp_path: Path) -> Iterator[Runtime]:
    """Four routed cards taken in turn, Ana first; SLA 60 working minutes. Ana accepts hers the next
    morning (90 working minutes, late) and leaves the other open past its due time; Ben rejects and
    recycles his within 30 minutes."""
    routing = tmp_path / "routing.yaml"
    routing.write_text(ROUTING, encoding="utf-8")
    runtime = build_runtime(make_settings(database_url, routing=routing))
    ids = [sql(runtime, n, OPENED + timedelta(minutes=5 * n)) for n in range(4)]
    decide(runtime, ids[0], Decision.ACCEPT, "U0ANA", OPENED + timedelta(hours=17, minutes=30))
    decide(runtime, ids[1], Decision.REJECT, "U0BEN", OPENED + timedelta(minutes=35))
    decide(runtime, ids[3], Decision.RECYCLE, "U0BEN", OPENED + timedelta(minutes=45))
    yield runtime
    runtime.close()


def sql(runtime: Runtime, number: int, now: datetime) -> int:
    email = f"lead{number}@acme{number}.io"
    items = [event(email, lead=FIT_LEAD | {"name": f"Lead {number}"}), event(email, "demo_request")]
    for item in items:
        item["occurred_at"] = (now - timedelta(minutes=2)).isoformat()
    runtime.ingest(parsed(*items), now=now)
    with runtime.read_uow() as uow:
        lead = uow.leads.by_email(email)
        assert lead is not None
        (handoff,) = uow.handoffs.for_lead(lead.id)
    return handoff.id


def decide(runtime: Runtime, handoff_id: int, action: Decision, user: str, now: datetime) -> None:
    reason = {Decision.REJECT: "no_fit", Decision.RECYCLE: "bad_timing"}.get(action)
    until = now + timedelta(days=30) if action is Decision.RECYCLE else None
    request = DecisionRequest(handoff_id, action, user, reason=reason, recycle_until=until)
    outcome = record_decision(
        uow=runtime.uow(), request=request, model=runtime.model, policy=runtime.policy, now=now
    )
    assert outcome.recorded


def digest(runtime: Runtime, routing: Routing | None) -> DigestReport:
    return compute_digest(
        uow=runtime.uow(),
        week_of=MONDAY,
        zone=ZoneInfo("UTC"),
        model=runtime.model,
        now=DIGEST_AT,
        routing=routing,
    )


def test_the_digest_shows_each_rep_and_route_in_working_hours(routed: Runtime) -> None:
    report = digest(routed, routed.routing)

    assert report.by_owner == [
        OwnerRow(
            "U0ANA",
            2,
            accepted=1,
            open=1,
            breaches=2,
            median_seconds_to_decide=90 * 60,
            clock="working hours",
        ),
        OwnerRow("U0BEN", 2, rejected=1, recycled=1, median_seconds_to_decide=30 * 60, clock="working hours"),
    ]
    assert report.by_route == [
        OwnerRow(
            "everyone", 4, 1, 1, 1, 1, breaches=2, median_seconds_to_decide=30 * 60, clock="working hours"
        )
    ]
    _, blocks = digest_message(report, week_label="week of 16 Nov 2026")
    shown = "\n".join(texts(blocks))
    assert (
        "• <@U0ANA> — 2 handoffs: 1 accepted (100%), 0 rejected, 0 recycled, 1 open"
        " · median time to decide 1 h 30 min (working hours) · 2 SLA breaches"
    ) in shown
    assert "• *everyone* — 4 handoffs: 1 accepted (33%), 1 rejected, 1 recycled, 1 open" in shown


def test_without_the_team_in_the_routing_file_time_to_decide_is_in_calendar_time(routed: Runtime) -> None:
    renamed = Routing.model_validate(
        {
            "teams": {"sales": {"members": [{"user": "U0ANA"}]}},
            "routes": [{"name": "everyone", "channel": "C0SALES001", "team": "sales"}],
        }
    )

    for routing in (renamed, None):
        ana = digest(routed, routing).by_owner[0]
        assert (ana.name, ana.median_seconds_to_decide, ana.clock) == ("U0ANA", 17.5 * 3600, "calendar")
        assert ana.breaches == 2  # the due time was set in working time when the card opened


def test_the_week_before_and_after_have_no_owner_section(routed: Runtime) -> None:
    for week in (MONDAY - timedelta(days=7), MONDAY + timedelta(days=7)):
        report = compute_digest(
            uow=routed.uow(),
            week_of=week,
            zone=ZoneInfo("UTC"),
            model=routed.model,
            now=DIGEST_AT,
            routing=routed.routing,
        )
        assert (report.by_owner, report.by_route) == ([], [])


def home_of(runtime: Runtime, user: str, now: datetime) -> list[str]:
    waiting, mine = home_views(uow=runtime.read_uow(), user_id=user, model=runtime.model, now=now)
    assert runtime.routing is not None
    queue = rep_queue(
        uow=runtime.read_uow(), user_id=user, routing=runtime.routing, model=runtime.model, now=now
    )
    return texts(home_view(waiting=waiting, mine=mine, now=now, queue=queue)["blocks"])


def test_a_rep_sees_their_queue_and_status_first(routed: Runtime) -> None:
    ana, ben = home_of(routed, "U0ANA", DIGEST_AT), home_of(routed, "U0BEN", DIGEST_AT)

    assert ana[:2] == ["Your queue (1)", "🟢 Taking new leads"]
    assert ana[2].startswith("*Lead 2* — VP Sales · Acme")  # her open card; Lead 0 she accepted
    assert ana.index("Waiting for a decision (1)") > 2
    assert ben[:3] == ["Your queue (0)", "🟢 Taking new leads", "Nothing is assigned to you."]

    back = datetime(2026, 11, 23, tzinfo=UTC)
    set_away(uow=routed.uow(), user_id="U0BEN", until=back, now=DIGEST_AT)
    away = home_of(routed, "U0BEN", DIGEST_AT)
    assert away[1].startswith("🌴 Away until <!date^")
    assert away[1].endswith("|2026-11-23 00:00 UTC> — `/lead back` ends it")
    assert home_of(routed, "U0BEN", back)[1] == "🟢 Taking new leads"


def test_someone_in_no_team_holding_nothing_sees_the_home_as_without_routing(routed: Runtime) -> None:
    rita = home_of(routed, "URITA", DIGEST_AT)

    assert rita[0] == "Waiting for a decision (1)"
    assert "Your queue" not in " ".join(rita)

"""What each digest number means: event-time weeks, conversion apart from direct SQLs, first-touch
attribution, SQLs by triggering campaign, hand-raises below fit, expired MQLs and history SQLs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.runtime import Runtime
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.digest import compute_digest
from bot.services.digest_report import DigestReport
from scoring import Decision
from tests.builders import FIT_LEAD, event, parsed

WEEK = date(2026, 8, 17)  # a Monday, months before the import
IMPORTED = datetime(2026, 11, 25, 12, tzinfo=UTC)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def send(runtime: Runtime, moment: datetime, email: str, kind: str, *, now: datetime, **lead: object) -> None:
    item = event(email, kind, lead=FIT_LEAD | lead)
    item["occurred_at"] = moment.isoformat()
    runtime.ingest(parsed(item), now=now)


def digest_of(runtime: Runtime, day: date) -> DigestReport:
    zone = ZoneInfo("UTC")
    return compute_digest(uow=runtime.uow(), week_of=day, zone=zone, model=runtime.model, now=IMPORTED)


def test_an_imported_history_counts_in_the_weeks_it_happened_not_the_import_week(runtime: Runtime) -> None:
    send(runtime, at(WEEK), "mql@acme.io", "trial_signup", now=IMPORTED)
    send(runtime, at(WEEK + timedelta(days=1)), "mql@acme.io", "contact_sales", now=IMPORTED)
    send(runtime, at(WEEK + timedelta(days=2)), "raised@acme.io", "demo_request", now=IMPORTED)

    then, import_week = digest_of(runtime, WEEK), digest_of(runtime, IMPORTED.date())

    week = then.week
    assert (week.new_mqls, week.sqls, week.sqls_from_mql, week.direct_sqls) == (1, 2, 1, 1)
    assert (week.converted, week.history_sqls) == (1, 2)  # both too old for a card: history
    assert (import_week.week.new_mqls, import_week.week.sqls) == (0, 0)


def test_a_lead_jumping_straight_to_sql_is_not_a_converted_mql(runtime: Runtime) -> None:
    send(runtime, at(WEEK), "jump@acme.io", "demo_request", now=at(WEEK, 11))

    week = digest_of(runtime, WEEK).week

    assert (week.new_mqls, week.converted, week.sqls, week.direct_sqls) == (0, 0, 1, 1)
    assert week.conversion_rate is None


def test_sources_and_campaigns_stay_at_first_touch_while_sqls_show_their_trigger(runtime: Runtime) -> None:
    now = at(WEEK + timedelta(days=3), 12)
    send(runtime, at(WEEK), "d@acme.io", "trial_signup", now=now, source="ads", campaign="brand")
    send(runtime, at(WEEK, 11), "d@acme.io", "demo_request", now=now, source="partner", campaign="spring")
    before = digest_of(runtime, WEEK)
    later = at(WEEK + timedelta(days=1))
    send(runtime, later, "d@acme.io", "page_view", now=now, source="event", campaign="x")

    after = digest_of(runtime, WEEK)

    for report in (before, after):
        assert [(b.name, b.mqls, b.sqls) for b in report.by_source] == [("ads", 1, 1)]
        assert [(b.name, b.mqls, b.sqls) for b in report.by_campaign] == [("brand", 1, 1)]
        assert report.sqls_by_trigger_campaign == [("spring", 1)]


def test_hand_raises_below_fit_and_expired_mqls_are_counted_in_their_week(runtime: Runtime) -> None:
    one_person = {"company_size": 1, "title": None, "industry": None}
    send(runtime, at(WEEK), "solo@gmail.com", "contact_sales", now=IMPORTED, **one_person)
    send(runtime, at(WEEK), "student@acme.io", "demo_request", now=IMPORTED, title="Student")
    send(runtime, at(WEEK - timedelta(days=120)), "fading@acme.io", "trial_signup", now=IMPORTED)
    with runtime.read_uow() as uow:
        lead = uow.leads.by_email("fading@acme.io")
        assert lead is not None
        expired = [c.changed_at for c in uow.handoffs.stage_changes(lead.id) if c.to_stage == "expired"]

    week = digest_of(runtime, WEEK).week
    assert (week.hand_raise_below_fit, week.sqls) == (2, 0)
    assert len(expired) == 1
    assert digest_of(runtime, expired[0].date()).week.expired == 1
    assert digest_of(runtime, IMPORTED.date()).week.expired == 0


def test_rejected_hand_raises_from_weak_fit_leads_ask_for_a_higher_fit_floor(runtime: Runtime) -> None:
    monday = at(WEEK)
    for number in range(10):
        moment = monday + timedelta(hours=number)
        weak = {"title": None, "industry": None, "company_size": 10}  # fit -15: free mail alone
        send(runtime, moment, f"solo{number}@gmail.com", "demo_request", now=moment, **weak)
        with runtime.uow() as uow:
            lead = uow.leads.by_email(f"solo{number}@gmail.com")
            assert lead is not None
            handoff = uow.handoffs.for_lead(lead.id)[-1].id
        reject = DecisionRequest(handoff, Decision.REJECT, "URITA", reason="no_fit")
        record_decision(
            uow=runtime.uow(), request=reject, model=runtime.model, policy=runtime.policy, now=moment
        )

    advice = digest_of(runtime, WEEK).advice

    floor = [a for a in advice if a.setting == "hand_raise_min_fit" and a.proposed is not None]
    assert [a.suggestion for a in floor] == [
        "Raise the hand-raise fit floor (hand_raise_min_fit) from -20 to -10?"
    ]
    assert floor[0].evidence == (
        "10 of 10 hand-raises (the fast lane) from leads with fit -20 to -11 were rejected, mostly as "
        "'No fit'; would have sent 10 fewer cards, 0 of them accepted"
    )
    assert not any("SQL threshold" in a.suggestion for a in advice)
    assert "Raise the hand-raise fit floor (hand_raise_min_fit) above -20?" in [a.suggestion for a in advice]

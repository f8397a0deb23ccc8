"""The digest's numbers against a hand-built week with known answers, in a non-UTC time zone."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.runtime import Runtime
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.digest import compute_digest, week_bounds
from bot.services.sla import scan_sla
from scoring import Decision
from tests.builders import FIT_LEAD, event, parsed

MADRID = ZoneInfo("Europe/Madrid")
WEEK = date(2026, 11, 16)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MADRID)


def ingest_at(runtime: Runtime, moment: datetime, email: str, *types: str, **lead: object) -> None:
    events = [event(email, kind, lead=FIT_LEAD | lead) for kind in types]
    for item in events:
        item["occurred_at"] = moment.isoformat()
    runtime.ingest(parsed(*events), now=moment)


def decide_at(
    runtime: Runtime, moment: datetime, email: str, action: Decision, reason: str | None = None
) -> None:
    with runtime.uow() as uow:
        lead = uow.leads.by_email(email)
        assert lead is not None
        handoff_id = uow.handoffs.for_lead(lead.id)[-1].id
    record_decision(
        uow=runtime.uow(),
        request=DecisionRequest(handoff_id, action, "URITA", reason=reason),
        model=runtime.model,
        policy=runtime.policy,
        now=moment,
    )


@pytest.fixture
def week(runtime: Runtime) -> Runtime:
    ingest_at(runtime, local("2026-11-11T10:00"), "g@acme.io", "trial_signup")  # previous week: MQL
    ingest_at(runtime, local("2026-11-12T09:00"), "g@acme.io", "contact_sales")  # previous week: SQL
    ingest_at(runtime, local("2026-11-17T10:00"), "a@acme.io", "demo_request")
    ingest_at(runtime, local("2026-11-18T09:00"), "b@acme.io", "demo_request")
    ingest_at(runtime, local("2026-11-19T09:00"), "c@acme.io", "demo_request")
    ingest_at(runtime, local("2026-11-17T10:00"), "d@acme.io", "trial_signup", source="ads", campaign="brand")
    ingest_at(runtime, local("2026-11-22T23:30"), "e@acme.io", "trial_signup")  # Sunday night: this week
    ingest_at(runtime, local("2026-11-23T00:30"), "f@acme.io", "trial_signup")  # Monday: next week
    decide_at(runtime, local("2026-11-16T08:00"), "g@acme.io", Decision.ACCEPT)
    decide_at(runtime, local("2026-11-17T10:30"), "a@acme.io", Decision.ACCEPT)
    decide_at(runtime, local("2026-11-18T11:00"), "b@acme.io", Decision.REJECT, "no_fit")
    decide_at(runtime, local("2026-11-20T09:00"), "c@acme.io", Decision.RECYCLE, "bad_timing")
    return runtime


def digest(runtime: Runtime):  # type: ignore[no-untyped-def]
    return compute_digest(
        uow=runtime.uow(), week_of=WEEK, zone=MADRID, model=runtime.model, now=local("2026-11-23T09:00")
    )


def test_headline_numbers_of_the_week(week: Runtime) -> None:
    report = digest(week)

    counts = report.week
    assert (counts.new_mqls, counts.sqls, counts.converted) == (2, 3, 0)  # d and e; a, b, c raised hands
    assert (counts.sqls_from_mql, counts.direct_sqls) == (0, 3)
    assert counts.conversion_rate == pytest.approx(0.0)
    assert (counts.accepted, counts.rejected, counts.recycled) == (2, 1, 1)
    assert counts.acceptance_rate == pytest.approx(0.5)
    assert counts.median_seconds_to_decide == pytest.approx((7200 + 86400) / 2)
    assert counts.sla_breaches == 2


def test_week_over_week_and_history(week: Runtime) -> None:
    report = digest(week)

    previous = report.previous
    assert (previous.new_mqls, previous.sqls, previous.decisions, previous.sla_breaches) == (1, 1, 0, 1)
    assert (previous.sqls_from_mql, previous.converted, previous.conversion_rate) == (1, 1, 1.0)  # g
    assert [w.week_start for w in report.history][-2:] == [date(2026, 11, 9), WEEK]
    assert len(report.history) == 8
    assert sum(w.new_mqls for w in report.history) == 3  # g, d, e; f@ belongs to the next week


def test_reasons_sources_campaigns_and_bands(week: Runtime) -> None:
    report = digest(week)

    assert [(r.action, r.reason, r.count) for r in report.reasons] == [
        ("recycle", "bad_timing", 1),
        ("reject", "no_fit", 1),
    ]
    sources = {b.name: (b.mqls, b.sqls, b.accepted, b.decided) for b in report.by_source}
    assert sources == {"webinar": (1, 3, 2, 4), "ads": (1, 0, 0, 0)}
    assert {b.name for b in report.by_campaign} == {"q4-launch", "brand"}
    assert sum(band.decided for band in report.bands) == 4


def test_local_week_bounds_follow_the_time_zone() -> None:
    start, end = week_bounds(WEEK, MADRID)

    assert start.isoformat() == "2026-11-15T23:00:00+00:00"
    assert end.isoformat() == "2026-11-22T23:00:00+00:00"
    spring = week_bounds(date(2027, 3, 22), MADRID)  # the week clocks go forward
    assert (spring[1] - spring[0]).total_seconds() == 167 * 3600


def test_an_empty_week_says_so(runtime: Runtime) -> None:
    report = digest(runtime)

    assert report.is_empty
    assert report.week.acceptance_rate is None
    assert report.advice == []


def test_follow_ups_and_an_odd_median_count_in_their_own_week(runtime: Runtime) -> None:
    ingest_at(runtime, local("2026-11-17T09:00"), "h@acme.io", "demo_request")
    scan_sla(uow=runtime.uow(), now=local("2026-11-17T10:30"), sla_minutes=60)  # reminder
    scan_sla(uow=runtime.uow(), now=local("2026-11-17T11:30"), sla_minutes=60)  # escalation
    decide_at(runtime, local("2026-11-18T09:00"), "h@acme.io", Decision.ACCEPT)  # 86400 s, breached
    ingest_at(runtime, local("2026-11-19T09:00"), "j@acme.io", "demo_request")
    decide_at(runtime, local("2026-11-19T09:10"), "j@acme.io", Decision.ACCEPT)  # 600 s
    ingest_at(runtime, local("2026-11-20T09:00"), "k@acme.io", "demo_request")
    decide_at(
        runtime, local("2026-11-20T10:00"), "k@acme.io", Decision.REJECT, "no_fit"
    )  # 3600 s, at the SLA
    ingest_at(runtime, local("2026-11-22T23:00"), "i@acme.io", "demo_request")  # due next week
    scan_sla(uow=runtime.uow(), now=local("2026-11-23T00:30"), sla_minutes=60)  # next week's reminder

    report = digest(runtime)

    counts = report.week
    assert (counts.sla_breaches, counts.reminders, counts.escalations) == (1, 1, 1)
    assert counts.median_seconds_to_decide == pytest.approx(3600)
    assert sum(w.reminders for w in report.history) == 1
    assert report.previous.median_seconds_to_decide is None

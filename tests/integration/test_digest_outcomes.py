"""The digest's CRM outcomes: counted in the week they happened, won amounts by currency."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.runtime import Runtime
from bot.services.digest import compute_digest
from bot.services.digest_report import Deals
from bot.services.digest_text import headline_rows
from storage.calibration_queries import CalibrationQueries, RuleOutcome
from tests.builders import FIT_LEAD, event, parsed

WEEK = date(2026, 9, 14)  # a Monday
NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def outcome(email: str, kind: str, day: date, **properties: Any) -> dict[str, Any]:
    item = event(email, kind, properties=properties)
    item["occurred_at"] = datetime(day.year, day.month, day.day, 10, tzinfo=UTC).isoformat()
    return item


def test_outcomes_are_counted_in_their_week_with_won_amounts_by_currency(runtime: Runtime) -> None:
    items = [
        outcome("a@acme.io", "opportunity_created", WEEK - timedelta(days=5)),
        outcome("a@acme.io", "closed_won", WEEK + timedelta(days=1), amount=45000, currency="usd"),
        outcome("b@acme.io", "closed_won", WEEK + timedelta(days=2), amount=8000, currency="EUR"),
        outcome("c@acme.io", "closed_won", WEEK + timedelta(days=2), amount=5000, currency="USD"),
        outcome("d@acme.io", "closed_lost", WEEK + timedelta(days=3)),
        outcome("e@acme.io", "opportunity_created", WEEK + timedelta(days=4)),
        outcome("f@acme.io", "page_view", WEEK + timedelta(days=4)),
    ]
    runtime.ingest(parsed(*items), now=NOW)

    report = compute_digest(
        uow=runtime.uow(), week_of=WEEK, zone=ZoneInfo("UTC"), model=runtime.model, now=NOW
    )
    rows = {label: (value, delta) for label, value, delta in headline_rows(report)}

    assert report.week.deals == Deals(1, 3, 1, (("EUR", 8000.0), ("USD", 50000.0)))
    assert report.previous.deals == Deals(opportunities=1)
    assert rows["CRM outcomes"] == ("3 won (EUR 8,000; USD 50,000), 1 lost, 1 opportunity", "▲ 3")


def test_a_digest_without_outcomes_has_no_outcome_row(runtime: Runtime) -> None:
    runtime.ingest(parsed(outcome("f@acme.io", "page_view", WEEK)), now=NOW)

    report = compute_digest(
        uow=runtime.uow(), week_of=WEEK, zone=ZoneInfo("UTC"), model=runtime.model, now=NOW
    )

    assert "CRM outcomes" not in [label for label, _, _ in headline_rows(report)]


def test_each_rules_handoffs_are_followed_to_their_crm_outcome(runtime: Runtime) -> None:
    raised = WEEK + timedelta(days=1)
    for email in ("won@acme.io", "lost@acme.io", "quiet@acme.io"):
        item = event(email, "demo_request", lead=FIT_LEAD)
        item["occurred_at"] = datetime(raised.year, raised.month, raised.day, 9, tzinfo=UTC).isoformat()
        runtime.ingest(parsed(item), now=NOW)
    runtime.ingest(
        parsed(
            outcome("won@acme.io", "closed_won", WEEK + timedelta(days=20), amount=30000, currency="USD"),
            outcome("lost@acme.io", "closed_lost", WEEK + timedelta(days=25)),
            outcome(
                "quiet@acme.io", "closed_won", WEEK - timedelta(days=1), amount=999
            ),  # before its handoff
        ),
        now=NOW,
    )

    with runtime.uow() as uow:
        found = CalibrationQueries(uow.session).rule_outcomes((datetime(2026, 9, 1, tzinfo=UTC), NOW))

    assert found["hand_raise_demo"] == RuleOutcome(known=2, converted=1, won_amount=30000.0)

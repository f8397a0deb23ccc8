"""Importing a year of history through the API: every past SQL is recorded, none is carded, and
the next live hand-raise gets its card."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.builders import FIT_LEAD
from tests.e2e.conftest import AUTH, Served, wait_until
from tests.e2e.test_slack_flow import posted_cards
from tests.fakes.slack_api import FakeSlack

LEADS = 40
BATCH = 400


def year_of_history(now: datetime) -> list[dict[str, Any]]:
    """Each lead browses all year (a page view every 4 weeks, the first one with its profile) and
    books a demo in a week of its own, 2 to 41 weeks ago."""
    events: list[dict[str, Any]] = []
    for number in range(LEADS):
        email, hour = f"past{number}@acme.io", timedelta(hours=number)
        views = [_event(email, "page_view", now - timedelta(weeks=week) - hour) for week in range(52, 0, -4)]
        views[0]["lead"] = FIT_LEAD | {"name": f"Past {number}"}
        events += [*views, _event(email, "demo_request", now - timedelta(weeks=2 + number) - hour)]
    for number, item in enumerate(events):
        item["event_id"] = f"hist-{number:05d}"
    return events


def _event(email: str, type: str, at: datetime) -> dict[str, Any]:
    return {"email": email, "type": type, "occurred_at": at.isoformat()}


def _post(served: Served, events: list[dict[str, Any]]) -> dict[str, Any]:
    answer = httpx.post(f"{served.url}/v1/events?wait=30", json=events, headers=AUTH, timeout=60)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def test_a_year_of_history_records_every_past_sql_and_posts_no_card(
    served: Served, fake_slack: FakeSlack
) -> None:
    history = year_of_history(datetime.now(UTC))
    random.Random(7).shuffle(history)  # an export in no particular order: late events replay their lead
    sqls = 0
    for start in range(0, len(history), BATCH):
        sqls += _post(served, history[start : start + BATCH])["stage_changes"].get("sql", 0)
    time.sleep(1.0)  # delivery polls every 0.05 s: any card would be posted by now

    assert sqls == LEADS
    assert posted_cards(fake_slack) == []
    lead = httpx.get(f"{served.url}/v1/leads/past7@acme.io", headers=AUTH, timeout=10).json()
    assert [handoff["status"] for handoff in lead["handoffs"]] == ["history"]

    now = datetime.now(UTC).isoformat()
    live = {"event_id": "live-1", "email": "past7@acme.io", "type": "demo_request", "occurred_at": now}
    assert _post(served, [live])["stage_changes"] == {"sql": 1}
    cards = wait_until(lambda: posted_cards(fake_slack), what="the live card")
    time.sleep(0.3)
    assert len(posted_cards(fake_slack)) == len(cards) == 1
    assert "Past 7" in cards[0].params["text"]

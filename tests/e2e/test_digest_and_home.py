"""Issue 4 end to end against the fake Slack: digest posting, one digest for two schedulers, SLA
follow-ups in the card's thread, the App Home tab, and the daily re-score."""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from bot.entrypoints.jobs import due_week
from bot.runtime import Runtime, build_runtime, utcnow
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.sla import scan_sla
from bot.services.ticks import pass_time
from bot.slack.app import make_client
from bot.slack.digest_post import post_digest
from scoring import Decision
from storage.tables import HandoffRow
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import SALES_CHANNEL, make_settings
from tests.e2e.conftest import AUTH, Served, wait_until
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import BOT_TOKEN, signed


def _sqls(served: Served, count: int) -> None:
    events = []
    for number in range(count):
        email = f"buyer{number}@acme.io"
        events += [event(email, lead=FIT_LEAD), event(email, "demo_request")]
    httpx.post(f"{served.url}/v1/events", json=events, headers=AUTH)


def _age_handoffs(runtime: Runtime, *, minutes: int) -> None:
    """Move every handoff's clock back, as if ``minutes`` had passed."""
    shift = timedelta(minutes=minutes)
    with runtime.uow() as uow:
        for handoff in uow.session.execute(select(HandoffRow)).scalars():
            handoff.created_at -= shift
            handoff.sla_due_at -= shift
        uow.commit()


def _thread_posts(fake: FakeSlack) -> list:  # type: ignore[type-arg]
    return [call for call in fake.calls("chat.postMessage") if call.params.get("thread_ts")]


def test_digest_send_posts_blocks_and_chart_matching_the_data(
    database_url: str, fake_slack: FakeSlack, cli_env: Path
) -> None:
    runtime = build_runtime(make_settings(database_url))
    runtime.ingest(
        parsed(
            event("ana@acme.io", lead=FIT_LEAD),
            event("ana@acme.io", "demo_request"),
            event("bo@acme.io", lead=FIT_LEAD),
            event("bo@acme.io", "trial_signup"),
        )
    )
    runtime.close()

    result = CliRunner().invoke(app, ["digest", "--week-of", utcnow().date().isoformat(), "--send"])

    assert result.exit_code == 0, result.output
    posted = fake_slack.calls("chat.postMessage")
    assert len(posted) == 1
    rendered = json.dumps(posted[0].params["blocks"])
    assert "MQL" in rendered
    assert fake_slack.invalid_blocks == []
    uploads = [f for f in fake_slack.state.files.values() if f.get("channel") == SALES_CHANNEL]
    assert len(uploads) == 1
    assert uploads[0]["content"].startswith(b"\x89PNG")
    assert list(cli_env.glob("mql-quality-*.png"))


def test_two_schedulers_post_one_digest(database_url: str, fake_slack: FakeSlack) -> None:
    runtimes = [
        build_runtime(
            make_settings(database_url, slack_bot_token=BOT_TOKEN, slack_api_url=fake_slack.base_url)
        )
        for _ in range(2)
    ]
    start = threading.Barrier(2)
    week = utcnow().date() - timedelta(days=7)
    posted: list[str | None] = []

    def scheduler(index: int) -> None:
        start.wait()
        runtime = runtimes[index]
        posted.append(
            post_digest(runtime=runtime, client=make_client(runtime), week_of=week, now=utcnow(), claim=True)
        )

    threads = [threading.Thread(target=scheduler, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    again = post_digest(
        runtime=runtimes[0], client=make_client(runtimes[0]), week_of=week, now=utcnow(), claim=True
    )
    for runtime in runtimes:
        runtime.close()

    assert sorted(p is not None for p in posted) == [False, True]
    assert again is None
    assert len(fake_slack.calls("chat.postMessage")) == 1


def test_due_week_is_last_week_once_the_schedule_has_passed() -> None:
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("America/New_York")
    monday_before_nine = utcnow().replace(year=2026, month=11, day=23, hour=13, minute=0)  # 08:00 in New York
    monday_after_nine = monday_before_nine + timedelta(hours=2)

    assert due_week(monday_before_nine, zone, "mon", 9, 0) == date(2026, 11, 9)
    assert due_week(monday_after_nine, zone, "mon", 9, 0) == date(2026, 11, 16)


def test_sla_reminder_and_escalation_appear_in_the_thread(served: Served, fake_slack: FakeSlack) -> None:
    _sqls(served, 1)
    wait_until(lambda: fake_slack.calls("chat.postMessage"), what="the card")
    runtime = served.runtime

    _age_handoffs(runtime, minutes=61)
    scan_sla(uow=runtime.uow(), now=utcnow(), sla_minutes=60)
    served.worker.wake()
    reminder = wait_until(lambda: _thread_posts(fake_slack), what="the reminder")
    _age_handoffs(runtime, minutes=60)
    scan_sla(uow=runtime.uow(), now=utcnow(), sla_minutes=60)
    served.worker.wake()
    threads = wait_until(lambda: _thread_posts(fake_slack)[1:], what="the escalation")

    assert "waited" in reminder[0].params["text"]
    assert "🚨" in threads[0].params["text"]
    update = wait_until(lambda: fake_slack.calls("chat.update"), what="the card showing the follow-up")
    assert "reminded" in json.dumps(update[-1].params["blocks"])


def test_app_home_shows_waiting_cards_and_my_decisions(served: Served, fake_slack: FakeSlack) -> None:
    _sqls(served, 2)
    wait_until(lambda: len(fake_slack.calls("chat.postMessage")) == 2, what="two cards")
    with served.runtime.uow() as uow:
        first = uow.handoffs.open_for_home(limit=1)[0].id
    record_decision(
        uow=served.runtime.uow(),
        request=DecisionRequest(first, Decision.ACCEPT, "URITA"),
        model=served.runtime.model,
        policy=served.runtime.policy,
        now=utcnow(),
    )
    payload = {
        "type": "event_callback",
        "team_id": "T0TEAM",
        "api_app_id": "A0HANDOFF",
        "event": {
            "type": "app_home_opened",
            "user": "URITA",
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1.0",
        },
        "event_id": "Ev1",
        "event_time": 1,
    }
    body, headers = signed(json.dumps(payload), content_type="application/json")

    assert served.post("/slack/events", body, headers).status_code == 200

    published = wait_until(lambda: fake_slack.calls("views.publish"), what="the home tab")[0]
    rendered = json.dumps(published.params["view"])
    assert "Waiting for a decision (1)" in rendered
    assert "Your recent decisions" in rendered
    assert "URITA" in rendered


def test_time_passing_brings_a_recycled_lead_back_after_its_date(database_url: str) -> None:
    runtime = build_runtime(make_settings(database_url))
    hot = [event("ana@acme.io", kind) for kind in ("trial_signup", "webinar_attended", "form_submit")] * 2
    runtime.ingest(parsed(event("ana@acme.io", lead=FIT_LEAD), event("ana@acme.io", "demo_request")))
    with runtime.uow() as uow:
        handoff = uow.handoffs.open_for_home(limit=1)[0].id
    record_decision(
        uow=runtime.uow(),
        request=DecisionRequest(
            handoff,
            Decision.RECYCLE,
            "UBEN",
            reason="bad_timing",
            recycle_until=utcnow() + timedelta(hours=1),
        ),
        model=runtime.model,
        policy=runtime.policy,
        now=utcnow(),
    )
    runtime.ingest(parsed(*hot))

    before = pass_time(uow_factory=runtime.uow, model=runtime.model, policy=runtime.policy, now=utcnow())
    after = pass_time(
        uow_factory=runtime.uow, model=runtime.model, policy=runtime.policy, now=utcnow() + timedelta(hours=2)
    )
    runtime.close()

    assert (before, after["sql"]) == ({}, 1)

"""Routing and ownership end to end: a real ``handoff serve`` with a routing file, the fake Slack,
signed requests, and the service's clock moved through a weekend and Christmas."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from bot.slack import ids
from tests.builders import FIT_LEAD
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, serve_env, start_serve_process, stop_process, wait_until
from tests.e2e.delivery_helpers import sql_events
from tests.e2e.lifecycle_service import handoff_of, shown, write_instant
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import block_action, interactive, signed, slash_command, view_submission

EMEA = "C0EMEA0001"
ROUTING = f"""
teams:
  emea:
    members: [{{user: U0ANA}}, {{user: U0BEN}}]
    hours: {{timezone: Europe/Madrid, start: "09:00", end: "18:00", country: ES}}
routes:
  - name: emea-enterprise
    when: [{{field: country, one_of: [ES, DE, GB]}}, {{field: company_size, min: 1000}}]
    channel: {EMEA}
    team: emea
  - name: everyone
    channel: {SALES_CHANNEL}
"""
ENTERPRISE = FIT_LEAD | {"country": "ES", "company_size": 5000, "company": "Grande"}
MONDAY_TEN_MADRID = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


class Routed:
    """A ``serve`` with a routing file: its URL, clock and the fake Slack."""

    def __init__(self, url: str, clock: Path, fake: FakeSlack, now: datetime) -> None:
        self.url, self.clock, self.fake, self.now = url, clock, fake, now
        self.sent = 0

    def move_to(self, moment: datetime) -> None:
        write_instant(self.clock, moment)
        self.now = moment

    def sql(self, email: str, profile: dict[str, Any]) -> None:
        events = []
        for kind in ("page_view", "demo_request"):
            self.sent += 1
            events.append(
                {
                    "event_id": f"{email}-{self.sent}",
                    "email": email,
                    "type": kind,
                    "occurred_at": self.now.isoformat(),
                    **({"lead": profile} if not events else {}),
                }
            )
        answer = httpx.post(f"{self.url}/v1/events?wait=10", json=events, headers=AUTH, timeout=20)
        assert answer.status_code == 200, answer.text
        assert answer.json()["stage_changes"].get("sql") == 1

    def slack(self, request: tuple[bytes, dict[str, str]]) -> httpx.Response:
        body, headers = request
        answer = httpx.post(f"{self.url}/slack/events", content=body, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer

    def click(self, action_id: str, card: dict[str, Any], user: str) -> None:
        payload = block_action(
            action_id=action_id, value=str(handoff_of(card)), user=user, channel=EMEA, message_ts=card["ts"]
        )
        self.slack(interactive(payload))

    def home(self, user: str) -> str:
        """The App Home ``user`` is shown when they open it."""
        before = len(self.fake.calls("views.publish"))
        opened = {
            "type": "app_home_opened",
            "user": user,
            "channel": "D0HOME",
            "tab": "home",
            "event_ts": "1.0",
        }
        payload = {
            "type": "event_callback",
            "team_id": "T0TEAM",
            "api_app_id": "A0HANDOFF",
            "event": opened,
            "event_id": f"Ev{user}{before}",
            "event_time": 1,
        }
        self.slack(signed(json.dumps(payload), content_type="application/json"))
        published = wait_until(lambda: self.fake.calls("views.publish")[before:], what=f"{user}'s home")[0]
        view = published.params["view"]
        return json.dumps(json.loads(view) if isinstance(view, str) else view)

    def command(self, words: str, user: str) -> str:
        before = len(self.fake.responses())
        self.slack(slash_command(text=words, user=user, response_url=self.fake.response_url))
        answer = wait_until(lambda: self.fake.responses()[before:], what=f"the answer to /lead {words}")
        return str(answer[0].get("text"))


def cards_in(fake: FakeSlack, channel: str) -> list[dict[str, Any]]:
    return [
        message
        for message in fake.channel_messages(channel)
        if (message.get("metadata") or {}).get("event_type") == ids.HANDOFF_CARD_EVENT
    ]


def thread_of(fake: FakeSlack, channel: str, card: dict[str, Any]) -> list[str]:
    return [str(m["text"]) for m in fake.channel_messages(channel) if m.get("thread_ts") == card["ts"]]


def now_card(fake: FakeSlack, channel: str, card: dict[str, Any]) -> str:
    return shown(next(m for m in cards_in(fake, channel) if m["ts"] == card["ts"]))


def start(database_url: str, fake: FakeSlack, tmp_path: Path, at: datetime) -> tuple[Any, Routed]:
    routing, clock = tmp_path / "routing.yaml", tmp_path / "clock"
    routing.write_text(ROUTING, encoding="utf-8")
    write_instant(clock, at)
    fake.set_channel(EMEA, bot_is_member=True, name="sales-emea")
    fake.set_members(EMEA, ["U0ANA", "U0BEN", "URITA"])
    fake.set_members(SALES_CHANNEL, ["URITA", "UBEN"])
    fake.state.time_zones["U0ANA"] = "Europe/Madrid"
    env = serve_env(
        database_url,
        fake,
        HANDOFF_ROUTING=str(routing),
        HANDOFF_CLOCK_FILE=str(clock),
        HANDOFF_SLA_MINUTES="60",
        HANDOFF_SLA_SCAN_SECONDS="1",
        HANDOFF_SCORER_POLL_SECONDS="0.2",
        HANDOFF_DELIVERY_POLL_SECONDS="0.2",
    )
    process, url = start_serve_process(env, tmp_path, output=tmp_path / "serve.log")
    return process, Routed(url, clock, fake, at)


@pytest.fixture
def monday(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[Routed]:
    process, service = start(database_url, fake_slack, tmp_path, MONDAY_TEN_MADRID)
    try:
        yield service
    finally:
        stop_process(process)
    assert fake_slack.invalid_blocks == []


def test_an_enterprise_emea_lead_goes_to_its_route_and_the_rep_who_is_not_away(
    monday: Routed, database_url: str
) -> None:
    fake = monday.fake
    away = monday.command("away until 2026-12-02", user="U0ANA")
    assert "You are away until" in away
    assert "Europe/Madrid" in away

    monday.sql("eva@grande.es", ENTERPRISE)

    (card,) = wait_until(lambda: cards_in(fake, EMEA), what="the card in the EMEA channel")
    assert "Assigned to <@U0BEN>" in now_card(fake, EMEA, card)
    dm = wait_until(lambda: fake.channel_messages("DU0BEN"), what="the direct message to Ben")[0]
    assert f"/archives/{EMEA}/p{card['ts'].replace('.', '')}" in dm["text"]
    assert cards_in(fake, SALES_CHANNEL) == []
    ben_home, ana_home = monday.home("U0BEN"), monday.home("U0ANA")
    assert "Your queue (1)" in ben_home
    assert "Taking new leads" in ben_home
    assert ben_home.index("Grande") < ben_home.index("Waiting for a decision")
    assert "Your queue (0)" in ana_home
    assert "Away until <!date^" in ana_home
    assert "`/lead back` ends it" in ana_home

    refusals = len(fake.calls("chat.postEphemeral"))
    monday.click(ids.ACCEPT, card, user="URITA")
    told = wait_until(lambda: fake.calls("chat.postEphemeral")[refusals:], what="the refusal")[0]
    assert "assigned to <@U0BEN>" in told.params["text"]

    opened = len(fake.calls("views.open"))
    monday.click(ids.REASSIGN, card, user="URITA")
    modal = wait_until(lambda: fake.calls("views.open")[opened:], what="the Reassign modal")[0].params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    reason = {
        ids.REASSIGN_TO_BLOCK: {ids.REASSIGN_TO_ACTION: {"type": "users_select", "selected_user": "URITA"}},
        ids.REASSIGN_REASON_BLOCK: {
            ids.REASSIGN_REASON_ACTION: {"type": "plain_text_input", "value": "I know Grande"}
        },
    }
    monday.slack(interactive(view_submission(view=modal, values=reason, user="URITA")))

    wait_until(lambda: "Assigned to <@URITA>" in now_card(fake, EMEA, card), what="the card taken over")
    line = wait_until(
        lambda: [t for t in thread_of(fake, EMEA, card) if "took this lead over" in t], what="the line"
    )
    assert "<@URITA> took this lead over from <@U0BEN>: I know Grande" in line[0]
    assert "Your queue (1)" in monday.home("URITA")  # in no team, but holding a card: a rep now
    assert "Your queue (0)" in monday.home("U0BEN")
    monday.click(ids.ACCEPT, card, user="URITA")
    wait_until(lambda: "Accepted by <@URITA>" in now_card(fake, EMEA, card), what="the accepted card")

    with create_engine(database_url).connect() as connection:
        changes = connection.execute(
            text("SELECT assignee, previous, cause, by_user FROM handoff_assignments ORDER BY id")
        ).all()
    assert [tuple(row) for row in changes] == [
        ("U0BEN", None, "route", None),
        ("URITA", "U0BEN", "reassign", "URITA"),
    ]


def test_a_lead_no_route_team_takes_goes_to_the_sales_channel_for_anyone(monday: Routed) -> None:
    monday.sql("sam@small.io", FIT_LEAD)

    (card,) = wait_until(lambda: cards_in(monday.fake, SALES_CHANNEL), what="the card in the sales channel")
    assert "Assigned to" not in shown(card)
    buttons = [e["action_id"] for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert ids.REASSIGN not in buttons


@pytest.mark.parametrize(
    ("posted", "off", "due"),
    [
        # Friday 17:30 in Madrid: 30 minutes that day, 30 on Monday; not on Saturday.
        (
            datetime(2026, 12, 4, 16, 30, tzinfo=UTC),
            datetime(2026, 12, 5, 11, tzinfo=UTC),
            datetime(2026, 12, 7, 8, 31, tzinfo=UTC),
        ),
        # Christmas Eve 17:30: 25 December is a public holiday in Spain, then a weekend.
        (
            datetime(2026, 12, 24, 16, 30, tzinfo=UTC),
            datetime(2026, 12, 25, 11, tzinfo=UTC),
            datetime(2026, 12, 28, 8, 31, tzinfo=UTC),
        ),
    ],
    ids=["weekend", "christmas"],
)
def test_a_card_waiting_over_days_off_is_reminded_on_the_next_working_morning(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, posted: datetime, off: datetime, due: datetime
) -> None:
    process, service = start(database_url, fake_slack, tmp_path, posted)
    try:
        service.sql("eva@grande.es", ENTERPRISE)
        (card,) = wait_until(lambda: cards_in(fake_slack, EMEA), what="the card")

        service.move_to(off)
        time.sleep(3)  # three SLA scans at HANDOFF_SLA_SCAN_SECONDS=1, on a day off
        assert not [t for t in thread_of(fake_slack, EMEA, card) if "waited" in t]

        service.move_to(due)
        reminder = wait_until(
            lambda: [t for t in thread_of(fake_slack, EMEA, card) if "waited" in t], what="the reminder"
        )
        assert "<@U0ANA> This lead has waited 1 h 1 min of working time" in reminder[0]
    finally:
        stop_process(process)


WEIGHTED = f"""
teams:
  core:
    members: [{{user: U0ANA, weight: 2}}, {{user: U0BEN}}, {{user: U0CAL}}]
    hours: {{days: [mon, tue, wed, thu, fri, sat, sun], start: "00:00", end: "23:59"}}
routes: [{{name: everyone, channel: {SALES_CHANNEL}, team: core}}]
"""
LEADS = 300


@pytest.mark.slow
def test_three_replicas_assigning_300_leads_at_once_give_each_rep_their_weighted_share(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path
) -> None:
    routing = tmp_path / "routing.yaml"
    routing.write_text(WEIGHTED, encoding="utf-8")
    env = serve_env(
        database_url,
        fake_slack,
        HANDOFF_ROUTING=str(routing),
        HANDOFF_SCORER_POLL_SECONDS="0.2",
        HANDOFF_SCORER_CHUNK="40",  # many small chunks: the replicas take the scorer's lease in turn
        HANDOFF_POST_RATE="50",
    )
    replicas = [start_serve_process(env, tmp_path, log=tmp_path / "serve.log") for _ in range(3)]
    try:
        batches = [sql_events(LEADS // 3, start=n * LEADS // 3) for n in range(3)]
        with ThreadPoolExecutor(3) as pool:
            answers = list(
                pool.map(
                    lambda pair: httpx.post(
                        f"{pair[0][1]}/v1/events", json=pair[1], headers=AUTH, timeout=60
                    ),
                    zip(replicas, batches, strict=True),
                )
            )
        assert [answer.status_code for answer in answers] == [200, 200, 200]
        engine = create_engine(database_url)

        def shares() -> dict[str, int]:
            with engine.connect() as connection:
                rows = connection.execute(
                    text(
                        "SELECT assignee, count(*) FROM handoffs WHERE assignee IS NOT NULL GROUP BY assignee"
                    )
                ).all()
            return {str(user): int(count) for user, count in rows}

        taken = wait_until(
            lambda: sum(shares().values()) == LEADS and shares(), timeout=120, what="300 assignments"
        )
        engine.dispose()
    finally:
        for process, _ in replicas:
            stop_process(process)

    assert abs(taken["U0ANA"] - LEADS / 2) <= 1
    assert abs(taken["U0BEN"] - LEADS / 4) <= 1
    assert abs(taken["U0CAL"] - LEADS / 4) <= 1

"""The lifecycle as a rep sees it in Slack, end to end: a real ``handoff serve`` on the fake Slack,
its clock moved through months (HANDOFF_CLOCK_FILE), decisions taken with signed Slack requests."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.slack import ids
from bot.slack.card_lines import lines_before_buttons
from tests.builders import FIT_LEAD
from tests.e2e.conftest import serve_env, start_serve_process, stop_process, wait_until
from tests.e2e.lifecycle_service import (
    FAST_LIFE,
    LifeService,
    cards,
    current,
    replies,
    shown,
    start_instant,
    wait_for_cards,
    write_instant,
)
from tests.fakes.slack_api import FakeSlack

NOTE = "Champion on parental leave; CFO is the real buyer"


@pytest.fixture
def service(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> Iterator[LifeService]:
    clock, start = tmp_path / "clock", start_instant()
    write_instant(clock, start)
    env = serve_env(database_url, fake_slack, HANDOFF_CLOCK_FILE=str(clock), **FAST_LIFE)
    process, url = start_serve_process(env, tmp_path, output=tmp_path / "serve.log")
    try:
        yield LifeService(process, url, clock, fake_slack, start)
    finally:
        stop_process(process)
    assert fake_slack.invalid_blocks == []


def first_card(service: LifeService) -> dict[str, object]:
    answer = service.send("page_view", "demo_request", lead=FIT_LEAD)
    assert answer["stage_changes"].get("sql") == 1
    return wait_for_cards(service.fake, 1)[0]


def test_a_rejected_lead_back_60_days_later_gets_a_returning_card_with_the_earlier_note(
    service: LifeService,
) -> None:
    card = first_card(service)
    rejected_on = service.now
    service.decide_in_modal(ids.REJECT, card, user="URITA", reason="bad_timing", note=NOTE)
    wait_until(lambda: "Rejected by <@URITA>" in shown(current(service.fake, card)), what="the rejected card")

    service.move_by(timedelta(days=60))
    assert service.send("demo_request")["stage_changes"] == {"sql": 1}

    returning = wait_for_cards(service.fake, 2)[1]
    text = shown(returning)
    assert "↩ *Returning lead* — rejected by <@URITA> on <!date^" in text
    assert f"|{rejected_on.day} {rejected_on:%b}> (Bad timing): “{NOTE}”" in text
    assert returning["text"].startswith("Returning SQL: Ana Ruiz")
    first_lines = "Returning SQL · Ana Ruiz\n*VP Sales* at *Acme*, 250 employees  —  *Booked a demo*"
    assert text.startswith(first_lines)
    assert lines_before_buttons(returning["blocks"]) <= 13
    assert ids.ACCEPT in str(returning["blocks"])  # a live card, with its buttons
    answer = service.lookup()
    assert "↩ *Returning lead* — rejected by <@URITA>" in shown(answer)
    assert "REJECTED → *SQL* — hand raised: demo_request (hand-raise)" in shown(answer)


def test_a_recycled_lead_returns_to_nurture_on_its_date_then_comes_back_mentioning_the_recycler(
    service: LifeService,
) -> None:
    card = first_card(service)
    until = (service.now + timedelta(days=30)).date()
    service.decide_in_modal(
        ids.RECYCLE, card, user="UBEN", reason="no_budget", note="Budget opens in Q1", until=until
    )
    wait_until(lambda: "Recycled by <@UBEN>" in shown(current(service.fake, card)), what="the recycled card")
    assert service.lead()["stage"] == "recycled"

    service.move_by(timedelta(days=31))
    back = wait_until(lambda: service.lead()["stage"] in ("lead", "mql") and service.lead(), what="nurture")
    assert back["stage_changes"][-1]["cause"] == "recycle_date"

    service.move_by(timedelta(days=9))
    assert service.send("demo_request")["stage_changes"] == {"sql": 1}
    returning = shown(wait_for_cards(service.fake, 2)[1])
    assert "↩ *Returning lead* — recycled by <@UBEN> on" in returning
    assert "(No budget): “Budget opens in Q1”" in returning


def test_an_accepted_lead_asking_for_a_demo_months_later_is_told_to_its_owner_in_the_thread(
    service: LifeService,
) -> None:
    card = first_card(service)
    service.click(ids.ACCEPT, card, "URITA")
    wait_until(lambda: replies(service.fake, card), what="the decision line")

    service.move_by(timedelta(days=180))
    assert service.send("demo_request")["stage_changes"] == {}

    note = wait_until(lambda: replies(service.fake, card)[1:], what="the owner's note")[0]
    assert note["text"] == "<@URITA> Ana Ruiz (Acme) raised their hand again: requested a demo, just now"
    time.sleep(0.5)  # a second card would have been posted by now
    assert len(cards(service.fake)) == 1
    lead = service.lead()
    assert lead["stage"] == "accepted"
    assert [(s["kind"], s["owner"]) for s in lead["signals"]] == [("owner_hand_raise", "URITA")]


def test_an_open_card_whose_lead_unsubscribes_is_updated_with_the_warning(service: LifeService) -> None:
    card = first_card(service)

    service.move_by(timedelta(hours=2))
    service.send("unsubscribe")

    warned = wait_until(
        lambda: "Since this card" in shown(current(service.fake, card)) and current(service.fake, card),
        what="the warning on the card",
    )
    assert "⚠ *Since this card:* Unsubscribed · just now" in shown(warned)
    assert ids.ACCEPT in str(warned["blocks"])  # still open: the rep decides, now knowing
    assert len(cards(service.fake)) == 1

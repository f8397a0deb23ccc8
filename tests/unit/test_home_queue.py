"""A rep's App Home with routing on: their queue and status first, then what everyone sees."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.services.rep_home import RepQueue
from bot.slack.home import home_view
from tests.fakes.slack_state import view_errors
from tests.unit.test_blocks import ACCEPTED, NOW, OPEN, decided, texts

BACK_ON = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
OTHER = replace(OPEN, handoff_id=8, email="bo@beta.io", profile=replace(OPEN.profile, name="Bo Lee"))


def headers(view: dict[str, object]) -> list[str]:
    return [block["text"]["text"] for block in view["blocks"] if block["type"] == "header"]  # type: ignore[attr-defined, index]


def test_a_rep_sees_their_queue_and_that_they_take_new_leads_before_the_rest() -> None:
    queue = RepQueue([OPEN], total=1, away_until=None)

    view = home_view(waiting=[OPEN, OTHER], mine=[], now=NOW, queue=queue)

    assert view_errors(view) == []
    assert headers(view) == ["Your queue (1)", "Waiting for a decision (2)", "Your recent decisions"]
    shown = texts(view["blocks"])
    assert shown[1] == "🟢 Taking new leads"
    assert shown[2].startswith("*Ana Ruiz* — VP Sales · Acme")
    assert "Bo Lee" not in "\n".join(shown[: shown.index("Waiting for a decision (2)")])


def test_an_away_rep_is_told_until_when_and_how_to_end_it() -> None:
    queue = RepQueue([], total=0, away_until=BACK_ON)

    view = home_view(waiting=[], mine=[], now=NOW, queue=queue)

    assert view_errors(view) == []
    shown = texts(view["blocks"])
    assert shown[1] == (
        f"🌴 Away until <!date^{int(BACK_ON.timestamp())}^{{date_long}}|2026-12-02 00:00 UTC>"
        " — `/lead back` ends it"
    )
    assert "Nothing is assigned to you." in shown


def test_a_long_queue_shows_the_oldest_and_counts_the_rest_within_slacks_limits() -> None:
    held = [replace(OPEN, handoff_id=n) for n in range(10)]
    waiting = [replace(OPEN, handoff_id=100 + n) for n in range(30)]

    mine = [decided(ACCEPTED)] * 10

    view = home_view(waiting=waiting, mine=mine, now=NOW, queue=RepQueue(held, total=14, away_until=None))

    assert view_errors(view) == []
    assert "+4 more assigned to you" in texts(view["blocks"])
    assert headers(view)[-1] == "Your recent decisions"
    assert sum("Accepted by <@U0RITA>" in text for text in texts(view["blocks"])) == 10  # nothing cut


def test_without_routing_home_is_as_before() -> None:
    view = home_view(waiting=[OPEN], mine=[], now=NOW)

    assert headers(view) == ["Waiting for a decision (1)", "Your recent decisions"]

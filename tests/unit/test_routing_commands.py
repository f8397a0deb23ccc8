"""What reps type and submit for routing: ``/lead away|back|find``, the Reassign modal, owner files."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.model_source import load_scoring_model
from bot.services.account_owners import check_owners, owner_csv_rows
from bot.slack import ids
from bot.slack.blocks_routing import (
    ReassignError,
    handed_over_line,
    parse_reassign_submission,
    reassign_modal,
)
from bot.slack.rep_commands import Away, Back, Find, RepCommandError, away_instant, parse_rep_command

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
MODEL = load_scoring_model(None)


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("away until 2026-12-02", Away(date(2026, 12, 2))),
        ("Away 2026-12-02", Away(date(2026, 12, 2))),
        ("back", Back()),
        ("find back", Find("back")),
        ("find Ana Ruiz", Find("Ana Ruiz")),
        ("Back Street Boys", None),  # more than the one word: an ordinary look-up by name
        ("ana@acme.io", None),
    ],
)
def test_reserved_first_words_are_read_and_anything_else_is_a_lookup(text: str, command: object) -> None:
    assert parse_rep_command(text) == command


@pytest.mark.parametrize("text", ["away", "away until", "away until tomorrow", "away until 2026-13-01"])
def test_an_away_without_a_date_says_how_to_write_it(text: str) -> None:
    with pytest.raises(RepCommandError, match=r"/lead away until 2026-12-02"):
        parse_rep_command(text)


def test_away_lasts_until_the_start_of_that_day_in_the_reps_time_zone() -> None:
    until, zone = away_instant(date(2026, 12, 2), zone="Europe/Madrid", now=NOW)

    assert until == datetime(2026, 12, 1, 23, tzinfo=UTC)
    assert zone == "Europe/Madrid"
    with pytest.raises(RepCommandError, match="has passed"):
        away_instant(date(2026, 11, 27), zone="Asia/Tokyo", now=NOW)
    with pytest.raises(RepCommandError, match="more than a year"):
        away_instant(date(2028, 1, 1), zone=None, now=NOW)


@given(text=st.text(max_size=60))
def test_any_lead_text_is_either_a_command_a_lookup_or_one_clear_error(text: str) -> None:
    outcome = _outcome(text)

    assert outcome is None or isinstance(outcome, Away | Back | Find) or "/lead away until" in outcome


def _outcome(text: str) -> object:
    try:
        return parse_rep_command(text)
    except RepCommandError as exc:
        return str(exc)


def submitted(modal: dict[str, object], reason: str | None) -> dict[str, object]:
    values = {ids.REASSIGN_REASON_BLOCK: {ids.REASSIGN_REASON_ACTION: {"value": reason}}}
    return {**modal, "state": {"values": values}}


def test_a_reassign_submission_needs_a_reason_and_keeps_who_held_the_card() -> None:
    modal = reassign_modal(handoff_id=7, channel="C0EMEA", assignee="U0BEN", lead_name="Eva", user="URITA")

    taken = parse_reassign_submission(submitted(modal, "  I know Grande "))

    assert (taken.handoff_id, taken.channel, taken.previous, taken.reason) == (
        7,
        "C0EMEA",
        "U0BEN",
        "I know Grande",
    )
    with pytest.raises(ReassignError, match="Say why"):
        parse_reassign_submission(submitted(modal, " "))
    with pytest.raises(ReassignError, match="out of date"):
        parse_reassign_submission(submitted({**modal, "private_metadata": '{"handoff_id": true}'}, "x"))


def test_a_reassign_can_give_the_card_to_another_rep_by_a_real_user_id() -> None:
    modal = reassign_modal(handoff_id=7, channel="C0EMEA", assignee="U0BEN", lead_name="Eva", user=None)
    picker = modal["blocks"][1]["element"]
    assert "initial_user" not in picker  # the holder passes it on: nobody is picked for them

    def given(user: object) -> dict[str, object]:
        form = submitted(modal, "Ana knows them")
        form["state"]["values"][ids.REASSIGN_TO_BLOCK] = {ids.REASSIGN_TO_ACTION: {"selected_user": user}}  # type: ignore[index]
        return form

    assert parse_reassign_submission(given("U0ANA")).to == "U0ANA"
    with pytest.raises(ReassignError, match="out of date"):
        parse_reassign_submission(given("<@U0ANA>"))


def test_the_thread_says_who_took_a_card_from_whom_and_why() -> None:
    assert handed_over_line(previous="U0BEN", assignee="URITA", by="URITA", reason="I know them") == (
        "🔁 <@URITA> took this lead over from <@U0BEN>: I know them"
    )
    assert handed_over_line(previous="U0BEN", assignee="U0ANA", by="U0BEN", reason="Ana knows them") == (
        "🔁 <@U0BEN> passed this lead to <@U0ANA>: Ana knows them"
    )
    assert handed_over_line(previous="U0BEN", assignee="U0ANA", by="URITA", reason="Ana knows them") == (
        "🔁 <@URITA> gave this lead to <@U0ANA> from <@U0BEN>: Ana knows them"
    )
    assert handed_over_line(previous="U0BEN", assignee="U0ANA", by=None, reason="no decision in time") == (
        "🔁 Now assigned to <@U0ANA> from <@U0BEN>: no decision in time"
    )


def test_owner_rows_refuse_free_mail_bad_domains_and_bad_user_ids_by_line() -> None:
    rows = owner_csv_rows("domain,owner\nacme.io,U0ANA\ngmail.com,U0BEN\nnot a domain,U0BEN\nbeta.io,rita\n")

    checked = check_owners(rows, model=MODEL)

    assert checked.owners == [("acme.io", "U0ANA")]
    assert [problem.split(":")[0] for problem in checked.problems] == ["line 3", "line 4", "line 5"]
    assert "free-mail" in checked.problems[0]
    with pytest.raises(ValueError, match="domain, owner"):
        owner_csv_rows("email,owner\n")

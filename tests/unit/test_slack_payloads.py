"""The tolerant parse of Slack payloads and the gate's checks, without a server."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bot.slack import gate
from bot.slack.payloads import ButtonClick, LeadCommand, ModalSubmission
from tests.slack_requests import SIGNING_SECRET, signed

NOW = 1_800_000_000


def click(**changes: object) -> dict[str, object]:
    payload: dict[str, object] = {
        "type": "block_actions",
        "user": {"id": "URITA", "name": "rita"},
        "channel": {"id": "C0SALES001"},
        "actions": [{"action_id": "handoff_accept", "value": "7"}],
        "message": {"ts": "1.000100", "blocks": [{"type": "header", "text": {"text": "Ana Ruiz"}}]},
    }
    return payload | changes


def test_a_click_keeps_what_the_listener_needs_in_slacks_shape() -> None:
    parsed = ButtonClick.model_validate(click(team={"id": "T0TEAM"}, extra=[1]))

    assert parsed.to_bolt() == {
        "type": "block_actions",
        "user": {"id": "URITA"},
        "channel": {"id": "C0SALES001"},
        "team": {"id": "T0TEAM"},
        "actions": [{"action_id": "handoff_accept", "value": "7"}],
        "message": {"ts": "1.000100", "header": "Ana Ruiz"},
    }


def test_odd_optional_fields_become_none_and_required_ones_are_refused() -> None:
    odd = ButtonClick.model_validate(click(team=5, message=[], trigger_id={"x": 1}, response_url="ftp://x"))

    assert (odd.team, odd.message, odd.trigger_id, odd.response_url) == (None, None, None, None)
    for broken in (click(user=None), click(user={"id": "urita"}), click(actions=[]), click(channel="C1")):
        with pytest.raises(ValidationError):
            ButtonClick.model_validate(broken)


def test_text_loses_what_no_database_stores() -> None:
    command = LeadCommand.model_validate(
        {"command": "/lead", "user_id": "URITA", "text": "a\x00b\ud800c\td", "response_url": "https://h/x"}
    )

    assert command.text == "abc\td"


def test_a_submission_with_a_non_dict_state_has_no_inputs() -> None:
    for state in ([1, 2], "x", None, {"values": [1]}, {"values": {"reason": [1]}}):
        view = {"callback_id": "handoff_reject_modal", "state": state}
        parsed = ModalSubmission.model_validate(
            {"type": "view_submission", "user": {"id": "U1"}, "view": view}
        )
        assert parsed.view.state.values == {}


def verify(body: bytes, headers: dict[str, str], now: float = NOW) -> None:
    gate.verify_signature(body, headers, secret=SIGNING_SECRET, max_age=300, now=lambda: now)


def test_a_signature_is_checked_with_a_fresh_numeric_timestamp() -> None:
    body, headers = signed("command=%2Flead", timestamp=NOW)
    lowered = {key.lower(): value for key, value in headers.items()}

    verify(body, lowered)
    for refused in (
        lambda: verify(body, lowered, now=NOW + 301),
        lambda: verify(body + b"x", lowered),
        lambda: verify(body, lowered | {"x-slack-request-timestamp": "1800000000.0"}),
        lambda: verify(body, {}),
    ):
        with pytest.raises(gate.Answer) as refusal:
            refused()
        assert refusal.value.status == 401


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=%5B%5D", "application/x-www-form-urlencoded"),
        (b"\xff", "application/x-www-form-urlencoded"),
        (b"[" * 100_000, "application/json"),
        (b"1", "application/json"),
    ],
)
def test_a_body_that_is_no_object_is_malformed(body: bytes, content_type: str) -> None:
    with pytest.raises(gate.Answer) as refusal:
        gate.parse_body(body, content_type)

    assert (refusal.value.status, refusal.value.text) == (400, gate.MALFORMED)


def test_a_payload_is_routed_to_bolt_only_in_the_shape_its_listener_reads() -> None:
    payload = gate.parse_body(b"payload=" + json.dumps(click()).encode(), "application/x-www-form-urlencoded")

    assert gate.bolt_payload(payload)["actions"] == [{"action_id": "handoff_accept", "value": "7"}]
    with pytest.raises(gate.Answer) as not_ours:
        gate.bolt_payload(click(actions=[{"action_id": "open_crm"}]))
    assert not_ours.value.status == 200


def test_a_click_as_the_gate_hands_it_on_still_names_the_lead_for_the_modal() -> None:
    reduced = ButtonClick.model_validate(click()).to_bolt()

    again = ButtonClick.model_validate(reduced)

    assert again.message is not None
    assert again.message.header == "Ana Ruiz"

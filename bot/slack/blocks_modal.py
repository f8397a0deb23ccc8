"""The Reject / Recycle modal and the reading of its submission."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from bot.slack import ids
from bot.slack.text import escape, mrkdwn, plain, truncate, unescape
from scoring.types import REASONS, Decision, is_reason

ACTIONS = (Decision.REJECT, Decision.RECYCLE)
NOTE_MAX_LENGTH = 1000
MAX_HANDOFF_ID = 2**53  # ids are database integers; a larger one is not ours
RECYCLE_DAYS = 90
_STALE_FORM = "This form is out of date. Close it and press the button on the card again."
_TITLES = {Decision.REJECT: ("Reject lead", "Reject"), Decision.RECYCLE: ("Recycle lead", "Recycle")}
_INTROS = {
    Decision.REJECT: "Rejecting *{name}*. The reason is recorded and feeds the weekly digest.",
    Decision.RECYCLE: "Sending *{name}* back to marketing nurture. It cannot become an SQL again "
    "before the date below, unless it raises its hand.",
}


class SubmissionError(ValueError):
    """A submitted modal that cannot be taken; ``block_id`` is the input to show ``message`` under."""

    def __init__(self, block_id: str, message: str) -> None:
        super().__init__(f"{block_id}: {message}")
        self.block_id = block_id
        self.message = message


@dataclass(frozen=True)
class DecisionInput:
    """A Reject / Recycle decision as submitted in the modal."""

    handoff_id: int
    channel: str
    message_ts: str
    action: Decision
    reason: str
    note: str | None
    recycle_until: date | None


def decision_modal(
    *, action: Decision, handoff_id: int, channel: str, message_ts: str, lead_name: str, today: date
) -> dict[str, Any]:
    """The modal asking for a reason (and, to recycle, a date) before rejecting or recycling."""
    if action not in ACTIONS:
        raise ValueError(f"action must be one of {ACTIONS}, not {action!r}")
    title, submit = _TITLES[action]
    # Slack hands back a message's text escaped; unescape first so nothing is escaped twice.
    name = escape(truncate(unescape(lead_name).strip() or "this lead", 150))
    reason_input = {
        "type": "input",
        "block_id": ids.REASON_BLOCK,
        "label": plain("Reason", 2000),
        "element": {
            "type": "static_select",
            "action_id": ids.REASON_ACTION,
            "placeholder": plain("Choose a reason", 150),
            "options": [{"text": plain(label, 75), "value": key} for key, label in REASONS],
        },
    }
    note_input = {
        "type": "input",
        "block_id": ids.NOTE_BLOCK,
        "optional": True,
        "label": plain("Note", 2000),
        "element": {
            "type": "plain_text_input",
            "action_id": ids.NOTE_ACTION,
            "multiline": True,
            "max_length": NOTE_MAX_LENGTH,
            "placeholder": plain("Anything the next person should know", 150),
        },
    }
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": mrkdwn(_INTROS[action].format(name=name))},
        reason_input,
    ]
    if action == Decision.RECYCLE:
        blocks.append(
            {
                "type": "input",
                "block_id": ids.RECYCLE_DATE_BLOCK,
                "label": plain("Recycle until", 2000),
                "hint": plain("Marketing nurtures the lead until this date.", 2000),
                "element": {
                    "type": "datepicker",
                    "action_id": ids.RECYCLE_DATE_ACTION,
                    "initial_date": (today + timedelta(days=RECYCLE_DAYS)).isoformat(),
                },
            }
        )
    blocks.append(note_input)
    metadata = {"handoff_id": handoff_id, "channel": channel, "message_ts": message_ts, "action": action}
    return {
        "type": "modal",
        "callback_id": ids.MODAL_CALLBACKS[action],
        "title": plain(title, 24),
        "submit": plain(submit, 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": blocks,
    }


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        raise SubmissionError(ids.REASON_BLOCK, _STALE_FORM) from None
    if not isinstance(data, dict):
        raise SubmissionError(ids.REASON_BLOCK, _STALE_FORM)
    handoff_id, action = data.get("handoff_id"), data.get("action")
    well_formed = (
        isinstance(handoff_id, int)
        and not isinstance(handoff_id, bool)
        and 0 < handoff_id < MAX_HANDOFF_ID
        and action in ACTIONS
        and isinstance(data.get("channel"), str)
        and isinstance(data.get("message_ts"), str)
    )
    callback = view.get("callback_id")
    if not well_formed or (callback and callback != ids.MODAL_CALLBACKS[Decision(str(action))]):
        raise SubmissionError(ids.REASON_BLOCK, _STALE_FORM)
    return data


def _state(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    block = values.get(block_id)
    state = block.get(action_id) if isinstance(block, dict) else None
    return state if isinstance(state, dict) else {}


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parse_decision_submission(view: dict[str, Any], *, today: date) -> DecisionInput:
    """The decision in a submitted modal; raises SubmissionError naming the input that is wrong."""
    data = _metadata(view)
    state = view.get("state")
    values = state.get("values") if isinstance(state, dict) else None
    values = values if isinstance(values, dict) else {}
    option = _state(values, ids.REASON_BLOCK, ids.REASON_ACTION).get("selected_option")
    reason = _text(option.get("value")) if isinstance(option, dict) else ""
    if not reason:
        raise SubmissionError(ids.REASON_BLOCK, "Pick a reason.")
    if not is_reason(reason):
        raise SubmissionError(ids.REASON_BLOCK, "Pick one of the reasons in the list.")
    note = _text(_state(values, ids.NOTE_BLOCK, ids.NOTE_ACTION).get("value")).strip()
    recycle_until = None
    if data["action"] == Decision.RECYCLE:
        picked = _state(values, ids.RECYCLE_DATE_BLOCK, ids.RECYCLE_DATE_ACTION).get("selected_date")
        if not picked:
            raise SubmissionError(ids.RECYCLE_DATE_BLOCK, "Pick the date the lead may come back to sales.")
        try:
            recycle_until = date.fromisoformat(str(picked))
        except ValueError:
            raise SubmissionError(ids.RECYCLE_DATE_BLOCK, "Pick a date from the calendar.") from None
        if recycle_until < today:
            raise SubmissionError(ids.RECYCLE_DATE_BLOCK, "Pick a date that is not in the past.")
    return DecisionInput(
        handoff_id=data["handoff_id"],
        channel=data["channel"],
        message_ts=data["message_ts"],
        action=Decision(data["action"]),
        reason=reason,
        note=truncate(note, NOTE_MAX_LENGTH) or None,
        recycle_until=recycle_until,
    )

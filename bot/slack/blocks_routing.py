"""What routing says in Slack: who holds a card, the Reassign button and its modal, the line when a
card changes hands, the direct message to the rep who gets it, and answers to ``/lead away|back``.
Pure functions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.slack import ids
from bot.slack.text import fit_mrkdwn, mention, mrkdwn, plain, value

REASSIGN_REASON_MAX = 300
MAX_HANDOFF_ID = 2**53
_USER = re.compile(r"[UW][A-Z0-9]{2,20}")
_STALE_FORM = "This form is out of date. Close it and press Reassign on the card again."


class ReassignError(ValueError):
    """A submitted Reassign modal that cannot be taken."""


@dataclass(frozen=True)
class ReassignInput:
    """A take-over as submitted: which handoff, from whom, why."""

    handoff_id: int
    channel: str
    previous: str | None
    reason: str
    to: str | None = None  # the rep picked to take it (None: whoever submitted)


def held_by_another(assignee: str) -> str:
    """The private answer to a rep who tries to decide a card someone else holds."""
    return f"This lead is assigned to {mention(assignee)}: they decide it. To take it over, press *Reassign*."


def assigned_text(assignee: str) -> str:
    """The card's owner line: "👤 Assigned to @rita"."""
    return f"👤 Assigned to {mention(assignee)}"


def reassign_button(handoff_id: int) -> dict[str, Any]:
    """The button that lets another rep of the channel take a card over."""
    return {
        "type": "button",
        "action_id": ids.REASSIGN,
        "text": plain("Reassign", 75),
        "value": str(handoff_id),
    }


def reassign_modal(
    *, handoff_id: int, channel: str, assignee: str | None, lead_name: str, user: str | None
) -> dict[str, Any]:
    """The modal asking who takes the card over (``user``, the clicking rep, unless they pick another
    member of the channel; nobody picked yet when the holder passes it on) and why."""
    holder = f" from {mention(assignee)}" if assignee else ""
    intro = (
        f"Reassigning *{value(lead_name, 150)}*{holder}. The new holder decides it; the change is recorded."
    )
    metadata = {"handoff_id": handoff_id, "channel": channel, "previous": assignee}
    return {
        "type": "modal",
        "callback_id": ids.REASSIGN_MODAL,
        "title": plain("Reassign lead", 24),
        "submit": plain("Reassign", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "blocks": [
            {"type": "section", "text": mrkdwn(intro)},
            {
                "type": "input",
                "block_id": ids.REASSIGN_TO_BLOCK,
                "label": plain("Give it to", 2000),
                "hint": plain("You, or another member of the channel.", 2000),
                "element": {
                    "type": "users_select",
                    "action_id": ids.REASSIGN_TO_ACTION,
                    **({"initial_user": user} if user else {}),
                },
            },
            {
                "type": "input",
                "block_id": ids.REASSIGN_REASON_BLOCK,
                "label": plain("Why", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.REASSIGN_REASON_ACTION,
                    "max_length": REASSIGN_REASON_MAX,
                    "placeholder": plain("e.g. Ana is out today; I know this account", 150),
                },
            },
        ],
    }


def parse_reassign_submission(view: dict[str, Any]) -> ReassignInput:
    """The take-over in a submitted Reassign modal; raises :class:`ReassignError` when it is not one."""
    try:
        data = json.loads(view.get("private_metadata") or "")
    except (TypeError, ValueError):
        raise ReassignError(_STALE_FORM) from None
    handoff_id = data.get("handoff_id") if isinstance(data, dict) else None
    previous = data.get("previous") if isinstance(data, dict) else None
    channel = data.get("channel") if isinstance(data, dict) else None
    if not isinstance(channel, str):
        raise ReassignError(_STALE_FORM)
    if not (
        isinstance(handoff_id, int) and not isinstance(handoff_id, bool) and 0 < handoff_id < MAX_HANDOFF_ID
    ):
        raise ReassignError(_STALE_FORM)
    if previous is not None and not isinstance(previous, str):
        raise ReassignError(_STALE_FORM)
    values = (view.get("state") or {}).get("values") or {}
    block = values.get(ids.REASSIGN_REASON_BLOCK) if isinstance(values, dict) else None
    field = block.get(ids.REASSIGN_REASON_ACTION) if isinstance(block, dict) else None
    reason = field.get("value") if isinstance(field, dict) else None
    if not isinstance(reason, str) or not reason.strip():
        raise ReassignError("Say why you take it over.")
    picked = values.get(ids.REASSIGN_TO_BLOCK) if isinstance(values, dict) else None
    chosen = picked.get(ids.REASSIGN_TO_ACTION) if isinstance(picked, dict) else None
    to = chosen.get("selected_user") if isinstance(chosen, dict) else None
    if to is not None and not (isinstance(to, str) and _USER.fullmatch(to)):
        raise ReassignError(_STALE_FORM)
    return ReassignInput(handoff_id, channel, previous, reason.strip()[:REASSIGN_REASON_MAX], to)


def handed_over_line(*, previous: str | None, assignee: str, by: str | None, reason: str | None) -> str:
    """The thread line when a card changes hands: taken over by a rep, or passed on by escalation."""
    was = f" from {mention(previous)}" if previous else ""
    why = f": {value(reason, REASSIGN_REASON_MAX)}" if reason else "."
    if by is None:
        return fit_mrkdwn(f"🔁 Now assigned to {mention(assignee)}{was}{why}", 3000)
    if by == assignee:
        return fit_mrkdwn(f"🔁 {mention(by)} took this lead over{was}{why}", 3000)
    if by == previous:
        return fit_mrkdwn(f"🔁 {mention(by)} passed this lead to {mention(assignee)}{why}", 3000)
    return fit_mrkdwn(f"🔁 {mention(by)} gave this lead to {mention(assignee)}{was}{why}", 3000)


def assigned_dm(*, lead: str, score: float, channel: str, message_ts: str, due_at: datetime) -> str:
    """The direct message to the rep who now holds a card, with a link to it."""
    link = f"https://slack.com/archives/{channel}/p{message_ts.replace('.', '')}"
    due = int(due_at.timestamp())
    card = f"<{link}|Open the card> in <#{channel}>"
    return fit_mrkdwn(
        f"🎯 A lead for you: *{value(lead, 150)}*, score {round(score)}. {card}"
        f" · decide by <!date^{due}^{{time}} on {{date_short}}|{due_at:%Y-%m-%d %H:%M} UTC>.",
        3000,
    )


def away_set(until: datetime, zone: str) -> str:
    """The answer to ``/lead away until …``."""
    stamp = int(until.timestamp())
    return (
        f"You are away until <!date^{stamp}^{{date_long}} {{time}}|{until:%Y-%m-%d %H:%M} UTC> ({zone}): "
        "no new leads are assigned to you until then. `/lead back` ends it sooner."
    )


def rep_status(away_until: datetime | None) -> str:
    """A rep's status on their App Home: taking new leads, or away until a day."""
    if away_until is None:
        return "🟢 Taking new leads"
    stamp = int(away_until.timestamp())
    day = f"<!date^{stamp}^{{date_long}}|{away_until:%Y-%m-%d %H:%M} UTC>"
    return f"🌴 Away until {day} — `/lead back` ends it"


AWAY_USAGE = "Say when you are back, e.g. `/lead away until 2026-12-02` (a date, in your Slack time zone)."
BACK = "Welcome back: new leads are assigned to you again."

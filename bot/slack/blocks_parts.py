"""Card sections the Block Kit builders share, so a card and a ``/lead`` answer never diverge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.services.card_events import CardEvent
from bot.slack import ids
from bot.slack.blocks_card import about_line, score_line, timeline_lines, who_line
from bot.slack.blocks_routing import reassign_button
from bot.slack.text import aware, day_of, mention, mrkdwn, plain, slack_date, value
from scoring.types import Decision, LeadProfile, Score, reason_label
from storage.handoffs import DecisionRecord

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_HEADER_TEXT = 150

_DECISION_ICONS = {Decision.ACCEPT: "✅", Decision.REJECT: "❌", Decision.RECYCLE: "♻️"}


def section(text: str, *, fields: Sequence[str] = ()) -> Block:
    """A section with mrkdwn text and up to 10 mrkdwn fields, all cut to Slack's limits."""
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if fields:
        block["fields"] = [mrkdwn(field, MAX_FIELD_TEXT) for field in fields[:MAX_FIELDS]]
    return block


def context(*texts: str) -> Block:
    """A context block of up to 10 mrkdwn elements."""
    return {"type": "context", "elements": [mrkdwn(text) for text in texts[:MAX_CONTEXT_ELEMENTS]]}


def fit_blocks(blocks: list[Block]) -> list[Block]:
    """At most the 50 blocks a message may hold (the first ones: a card's top comes first)."""
    return blocks[:MAX_BLOCKS]


def lead_name(profile: LeadProfile, email: str) -> str:
    """The name people know the lead by (the email when there is no name), unescaped."""
    return " ".join((profile.name or "").split()) or email


HEADER_SEPARATOR = " · "
HEADER_KINDS = (
    "New SQL",
    "Returning SQL",
    "SQL",
    "SQL (history)",
    "MQL",
    "Lead",
    "Accepted",
    "Rejected",
    "Recycled",
    "Expired",
)


def header(*, kind: str, profile: LeadProfile, email: str) -> Block:
    """The card's header: what it is, then who: "New SQL · Ana Ruiz"."""
    return {
        "type": "header",
        "text": plain(f"{kind}{HEADER_SEPARATOR}{lead_name(profile, email)}", MAX_HEADER_TEXT),
    }


def name_from_header(header_text: str) -> str:
    """The lead's name from a card's header (a header from before the kind was shown is the name)."""
    kind, separator, name = header_text.partition(HEADER_SEPARATOR)
    return name if separator and kind in HEADER_KINDS else header_text


def lead_blocks(
    *,
    kind: str,
    email: str,
    profile: LeadProfile,
    score: Score,
    timeline: Sequence[CardEvent],
    now: datetime,
    asked: str = "",
    trigger_event_id: str | None = None,
) -> list[Block]:
    """What every view of a lead starts with: the header, who they are and what they asked for, the
    score in words, and one timeline of what they did."""
    first = who_line(profile=profile, email=email) + (f"  —  {asked}" if asked else "")
    lines = timeline_lines(timeline, score=score, now=now, trigger_event_id=trigger_event_id)
    return [
        header(kind=kind, profile=profile, email=email),
        section(f"{first}\n{about_line(profile=profile, email=email)}"),
        section("\n".join([score_line(score), *lines])),
    ]


def sla_text(
    *,
    due_at: datetime,
    now: datetime,
    decision: DecisionRecord | None,
    reminded_at: datetime | None = None,
    escalated_at: datetime | None = None,
) -> str:
    """When the card is due, whether it is overdue and followed up, or whether its decision met the SLA."""
    due = slack_date(due_at, "{date_short_pretty} at {time}")
    if decision is not None:
        met = aware(decision.decided_at) <= aware(due_at)
        return f"⏱ Decided {'within' if met else 'after'} the SLA (due {due})"
    follow_ups = [
        f"{mark} {label} {slack_date(moment, '{time}')}"
        for mark, label, moment in (("⏰", "reminded", reminded_at), ("🚨", "escalated", escalated_at))
        if moment is not None
    ]
    if aware(now) >= aware(due_at):
        return "  ·  ".join([f"⏱ *Respond by* {due}", "⚠️ *Overdue*", *follow_ups])
    return f"⏱ *Respond by* {due}"


def reason_and_note(decision: DecisionRecord) -> list[str]:
    """The decision's reason label and note, escaped, each only if present."""
    parts = [value(reason_label(decision.reason), 80)] if decision.reason else []
    if decision.note and decision.note.strip():
        parts.append(value(decision.note, 1000))
    return parts


def decision_detail(decision: DecisionRecord) -> str:
    """What follows "Rejected by @rita": the recycle date, then "— reason: note"."""
    text = f" until {day_of(decision.recycle_until)}" if decision.recycle_until else ""
    parts = reason_and_note(decision)
    return text + (" — " + ": ".join(parts) if parts else "")


def decision_verb(action: str) -> str:
    """The past tense of a decision: accepted, rejected, recycled (anything else escaped)."""
    known = action in tuple(Decision)
    return Decision(action).past if known else value(action, 40)


def decision_line(decision: DecisionRecord) -> str:
    """The decided line: "✅ Accepted by @rita at 10:42 on …", "❌ Rejected by @rita — No fit: note"."""
    icon = _DECISION_ICONS.get(decision.action, "•")
    line = f"{icon} {decision_verb(decision.action).capitalize()} by {mention(decision.decided_by)}"
    if decision.action == Decision.ACCEPT:
        return line + " at " + slack_date(decision.decided_at, "{time} on {date_short}")
    return line + decision_detail(decision)


def actions_block(handoff_id: int, *, reassign: bool = False) -> Block:
    """Accept, Reject and Recycle (and Reassign on a card someone holds), each carrying the handoff id."""
    buttons = [
        (ids.ACCEPT, "Accept", "primary"),
        (ids.REJECT, "Reject", "danger"),
        (ids.RECYCLE, "Recycle", None),
    ]
    elements = []
    for action_id, label, style in buttons:
        button: Block = {
            "type": "button",
            "action_id": action_id,
            "text": plain(label, MAX_BUTTON_TEXT),
            "value": str(handoff_id),
        }
        if style:
            button["style"] = style
        elements.append(button)
    if reassign:
        elements.append(reassign_button(handoff_id))
    return {"type": "actions", "block_id": ids.DECISION_BLOCK, "elements": elements}

"""Card sections the Block Kit builders share, so a card and a ``/lead`` answer never diverge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.services.timefmt import relative_time
from bot.slack import ids
from bot.slack.text import (
    aware,
    day_of,
    mention,
    mrkdwn,
    number,
    plain,
    points,
    slack_date,
    value,
)
from scoring.types import Contribution, Decision, LeadProfile, Score, reason_label
from storage.event_log import StoredEvent
from storage.handoffs import DecisionRecord

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_HEADER_TEXT = 150
MAX_TIMELINE = 10

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


def header(profile: LeadProfile, email: str) -> Block:
    """The lead's name as the card's header."""
    return {"type": "header", "text": plain(lead_name(profile, email), MAX_HEADER_TEXT)}


def profile_section(profile: LeadProfile, email: str) -> Block:
    """Who the lead is: title, company, email; then size, industry, country, source, campaign."""
    title, company = profile.title, profile.company
    who = " at ".join(f"*{value(part)}*" for part in (title, company) if part)
    size = f"{profile.company_size:,} employees" if profile.company_size is not None else None
    fields = [
        f"*{name}*\n{value(item) if item not in (None, '') else '—'}"
        for name, item in (
            ("Company size", size),
            ("Industry", profile.industry),
            ("Country", profile.country),
            ("Source", profile.source),
            ("Campaign", profile.campaign),
        )
    ]
    lines = [who, value(email)] if who else [value(email)]
    return section("\n".join(lines), fields=fields)


def score_section(score: Score) -> Block:
    """The score with fit and engagement apart."""
    text = (
        f"*Score {number(score.total)}*  =  fit *{number(score.fit)}*"
        f"  +  engagement *{number(score.engagement)}* (after decay)"
    )
    if score.disqualified:
        text += "\n⛔ *Disqualified* by a fit rule"
    return section(text)


def _signal_line(item: Contribution, now: datetime) -> str:
    details = []
    if item.kind == "fit":
        details.append("fit")
    if item.events > 1:
        details.append(f"{item.events} events")
    if item.capped:
        details.append("(capped)")
    elif item.kind == "engagement" and abs(item.raw_points - item.points) >= 0.05:
        details.append(f"decayed from {points(item.raw_points)}")
    if item.last_at is not None:
        details.append(relative_time(aware(item.last_at), aware(now)))
    flag = " ⛔" if item.disqualifies else ""
    return f"• {value(item.label, 120)}{flag} — *{points(item.points)}*  ·  " + "  ·  ".join(details)


def signals_section(score: Score, now: datetime) -> Block:
    """The top signals (up to 5) with points, decay or cap, and when they last happened."""
    lines = [_signal_line(item, now) for item in score.top()]
    return section("*Top signals*\n" + ("\n".join(lines) if lines else "No signals yet."))


def timeline_section(timeline: Sequence[StoredEvent], now: datetime) -> Block:
    """The recent engagement, newest first: type, URL if any, and when."""
    lines = []
    for event in timeline[:MAX_TIMELINE]:
        url = (event.properties or {}).get("url")
        where = f" {value(url, 120)}" if url else ""
        when = relative_time(aware(event.occurred_at), aware(now))
        lines.append(f"• {value(event.type.replace('_', ' '), 60)}{where} — {when}")
    return section("*Recent activity*\n" + ("\n".join(lines) if lines else "No engagement yet."))


def lead_blocks(
    *, email: str, profile: LeadProfile, score: Score, timeline: Sequence[StoredEvent], now: datetime
) -> list[Block]:
    """What every view of a lead starts with: header, who, score, top signals, recent activity."""
    return [
        header(profile, email),
        profile_section(profile, email),
        score_section(score),
        signals_section(score, now),
        timeline_section(timeline, now),
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


def actions_block(handoff_id: int) -> Block:
    """Accept, Reject and Recycle, each carrying the handoff id."""
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
    return {"type": "actions", "block_id": ids.DECISION_BLOCK, "elements": elements}

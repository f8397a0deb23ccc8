"""Block Kit builders: the handoff card, the decision modal, ``/lead`` answers. Pure functions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bot.services.card_events import CardEvent
from bot.services.cards import CardView
from bot.slack import ids
from bot.slack.blocks_card import account_line, asked_line, stage_word
from bot.slack.blocks_lifecycle import history_text, owner_note_line, returning_block, warnings_block
from bot.slack.blocks_modal import DecisionInput, SubmissionError, decision_modal, parse_decision_submission
from bot.slack.blocks_parts import (
    MAX_BLOCKS,
    Block,
    actions_block,
    context,
    decision_line,
    decision_verb,
    lead_blocks,
    lead_name,
    reason_and_note,
    sla_text,
)
from bot.slack.blocks_routing import assigned_text
from bot.slack.text import (
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    aware,
    channel_link,
    day_of,
    fit_mrkdwn,
    mention,
    number,
    slack_date,
    truncate,
    value,
    whole,
)
from scoring.types import Decision, LeadProfile, Score, Stage, reason_label
from scoring.working_hours import WorkingHours
from storage.handoffs import DecisionRecord

__all__ = [
    "CardMessage",
    "DecisionInput",
    "LeadMatch",
    "SubmissionError",
    "already_decided",
    "decision_modal",
    "decision_thread_line",
    "handoff_card",
    "lead_help",
    "lead_lookup_blocks",
    "lead_summary",
    "no_lead_found",
    "owner_note_text",
    "parse_decision_submission",
    "refusal_not_in_sales_channel",
    "several_leads_found",
    "truncate",
]

MAX_MATCHES = 10


@dataclass(frozen=True)
class CardMessage:
    """A handoff card ready for ``chat.postMessage`` / ``chat.update``."""

    text: str
    blocks: list[Block]
    metadata: dict[str, Any]


class LeadMatch(Protocol):
    """What a ``/lead`` match list shows of a lead (``storage.leads.LeadState`` fits)."""

    @property
    def email(self) -> str: ...
    @property
    def stage(self) -> Stage: ...
    @property
    def score(self) -> float: ...
    @property
    def profile(self) -> LeadProfile: ...


def card_kind(view: CardView) -> str:
    """What the card is, for its header: "New SQL", "Returning SQL", "SQL" once decided."""
    if view.earlier is not None:
        return "Returning SQL"
    if view.is_history:
        return "SQL (history)"
    return "New SQL" if view.is_open else "SQL"


def _card_blocks(view: CardView, *, now: datetime, with_buttons: bool) -> list[Block]:
    trigger_id = view.trigger_event.event_id if view.trigger_event else None
    blocks = lead_blocks(
        kind=card_kind(view),
        email=view.email,
        profile=view.profile,
        score=view.score,
        timeline=view.timeline,
        now=now,
        asked=asked_line(
            trigger=view.trigger,
            trigger_event=view.trigger_event,
            campaign=view.campaign,
            trigger_label=view.trigger_label,
        ),
        trigger_event_id=trigger_id,
    )
    if view.earlier is not None or view.earlier_handoffs:
        blocks.insert(2, returning_block(earlier=view.earlier, before=view.earlier_handoffs))
    if view.account is not None:
        blocks.append(context(account_line(view.account)))
    if view.is_history:
        blocks.append(context(history_text(view.created_at)))
        return blocks[:MAX_BLOCKS]
    if view.warnings:
        blocks.append(warnings_block(view.warnings, now=now))
    sla = sla_text(
        due_at=view.sla_due_at,
        now=now,
        decision=view.decision,
        reminded_at=view.reminded_at,
        escalated_at=view.escalated_at,
    )
    # The decision (or where to take it) shares the SLA's line: one line fewer on a full card.
    if view.decision is not None:
        blocks.append(context(decision_line(view.decision), sla))
    elif view.is_open and with_buttons:
        held = (assigned_text(view.assignee),) if view.assignee else ()
        blocks += [context(*held, sla), actions_block(view.handoff_id, reassign=view.assignee is not None)]
    elif view.is_open and view.channel:
        held = (assigned_text(view.assignee),) if view.assignee else ()
        waiting = f"🕒 Waiting for a decision on the card in {channel_link(view.channel)}"
        blocks.append(context(waiting, *held, sla))
    else:
        blocks.append(context(sla))
    return blocks[:MAX_BLOCKS]


def _fallback(view: CardView) -> str:
    profile = view.profile
    about = ", ".join(value(part, 150) for part in (profile.title, profile.company) if part)
    who = value(lead_name(profile, view.email), 150) + (f" ({about})" if about else "")
    kind = "SQL" if view.earlier is None else "Returning SQL"
    prefix = f"New {kind}" if view.is_open and view.earlier is None else kind
    suffix = "" if view.is_open else f" — {view.status}"
    return fit_mrkdwn(f"{prefix}: {who} — score {whole(view.score.total)}{suffix}", MAX_FALLBACK_TEXT)


def handoff_card(view: CardView, *, now: datetime) -> CardMessage:
    """The card posted to the sales channel, with buttons while open and the decision once taken."""
    return CardMessage(
        text=_fallback(view),
        blocks=_card_blocks(view, now=now, with_buttons=True),
        metadata={"event_type": ids.HANDOFF_CARD_EVENT, "event_payload": {"handoff_id": view.handoff_id}},
    )


def lead_lookup_blocks(*, view: CardView, now: datetime) -> list[Block]:
    """The card of a lead's latest handoff for ``/lead``, without buttons: a rep looks, decides elsewhere."""
    return _card_blocks(view, now=now, with_buttons=False)


def lead_summary(
    *,
    email: str,
    profile: LeadProfile,
    stage: Stage,
    score: Score,
    timeline: Sequence[CardEvent],
    now: datetime,
) -> list[Block]:
    """For ``/lead`` on a lead without a card: the same sections as a card, under its stage."""
    blocks = lead_blocks(
        kind=stage_word(stage), email=email, profile=profile, score=score, timeline=timeline, now=now
    )
    blocks.append(context(f"Stage: *{stage.value.upper()}*  ·  no card waiting"))
    return blocks[:MAX_BLOCKS]


def decision_thread_line(*, decision: DecisionRecord) -> str:
    """The line posted in the card's thread once a decision is taken."""
    who = mention(decision.decided_by)
    if decision.action == Decision.ACCEPT:
        return f"{who} accepted this lead."
    parts = reason_and_note(decision)
    verb = decision_verb(decision.action)
    until = f" until {day_of(decision.recycle_until)}" if decision.recycle_until else ""
    detail = f": {' — '.join(parts)}" if parts else "."
    return fit_mrkdwn(f"{who} {verb}{until}{detail}", MAX_SECTION_TEXT)


def sla_follow_up_line(
    *,
    view: CardView,
    now: datetime,
    escalation: bool,
    escalate_to: str | None,
    working: WorkingHours | None = None,
) -> str:
    """The thread line of an SLA reminder, or of an escalation (with its mention); with the team's
    ``working`` hours, the wait in working time and the card's holder mentioned."""
    if working is not None:
        waited = int(working.minutes_between(aware(view.created_at), aware(now)))
    else:
        waited = max(0, int((aware(now) - aware(view.created_at)).total_seconds() // 60))
    hours, minutes = divmod(waited, 60)
    span = (f"{hours} h {minutes} min" if hours else f"{minutes} min") + (
        " of working time" if working else ""
    )
    holder = f"{mention(view.assignee)} " if view.assignee else ""
    if escalation:
        who = f"{escalate_to} " if escalate_to else ""
        return f"🚨 {who}{holder}This lead has waited {span} without a decision. Please pick it up."
    return f"⏰ {holder}This lead has waited {span} without a decision: Accept, Reject or Recycle it above."


def owner_note_text(*, view: CardView, payload: Mapping[str, Any], now: datetime) -> str:
    """The thread line telling the lead's owner (who accepted it) that it raised its hand again."""
    decided_by = view.decision.decided_by if view.decision else ""
    owner = str(payload.get("owner") or decided_by)
    try:
        at = datetime.fromisoformat(str(payload.get("at")))
    except ValueError:
        at = now
    return owner_note_line(
        owner=owner,
        name=lead_name(view.profile, view.email),
        company=view.profile.company,
        detail=str(payload.get("detail") or "a hand-raise"),
        at=at,
        now=now,
    )


def already_decided(decision: DecisionRecord) -> str:
    """The private answer to a late click: who decided first, and when."""
    verb = decision_verb(decision.action)
    when = slack_date(decision.decided_at, "{time} on {date_short}")
    reason = f" ({value(reason_label(decision.reason), 80)})" if decision.reason else ""
    until = f", until {day_of(decision.recycle_until)}" if decision.recycle_until else ""
    return f"Already {verb} by {mention(decision.decided_by)} at {when}{reason}{until}."


def lead_help() -> str:
    """How to use ``/lead``."""
    return (
        "*Look up a lead's score*\n"
        "• `/lead ana@acme.io` — by email\n"
        "• `/lead acme.io` — by company domain\n"
        "• `/lead Ana Ruiz` — by name (`/lead find Back` for a lead whose name starts with a word below)\n"
        "• `/lead away until 2026-12-02` — no new leads for you until that day; `/lead back` ends it"
    )


def no_lead_found(query: str) -> str:
    """The answer when nothing matches ``query``."""
    return f"No lead found for “{value(query, 100)}”. Try an email, a company domain or a name."


def several_leads_found(*, query: str, leads: Sequence[LeadMatch]) -> str:
    """Up to 10 matches (email, name, stage, score), asking for a more precise query."""
    lines = [f"Several leads match “{value(query, 100)}”. Look one up by its email:"]
    for lead in leads[:MAX_MATCHES]:
        name = value(lead.profile.name, 80) if lead.profile.name else "—"
        lines.append(
            f"• {value(lead.email, 120)} — {name} — {lead.stage.value.upper()} — score {number(lead.score)}"
        )
    return fit_mrkdwn("\n".join(lines), MAX_FALLBACK_TEXT)


def refusal_not_in_sales_channel() -> str:
    """The private refusal for someone outside the sales channel."""
    return "Only members of the sales channel can look up or decide on leads. Ask to be added to it."

"""The App Home tab: with routing, the rep's own queue and status first; then the cards waiting for
a decision (oldest first, with SLA state) and my decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.services.cards import CardView
from bot.services.rep_home import RepQueue
from bot.slack.blocks_parts import context, decision_line, lead_name, section, sla_text
from bot.slack.blocks_routing import rep_status
from bot.slack.text import MAX_SECTION_TEXT, channel_link, value

MAX_WAITING = 20
MAX_MINE = 10
_HOME_BLOCKS = 100  # Slack's limit for a home tab


def home_view(
    *,
    waiting: Sequence[CardView],
    mine: Sequence[CardView],
    now: datetime,
    queue: RepQueue | None = None,
) -> dict[str, Any]:
    """A home tab view: the rep's queue and status (``queue``, with routing on), waiting handoffs
    oldest first with their SLA state, then the rep's own decisions."""
    blocks = _queue_blocks(queue, now=now) if queue is not None else []
    blocks.append(_header(f"Waiting for a decision ({len(waiting)})"))
    if not waiting:
        blocks.append(section("Nothing is waiting. 🎉"))
    for view in waiting[:MAX_WAITING]:
        blocks += _waiting(view, now=now)
    blocks.append({"type": "divider"})
    blocks.append(_header("Your recent decisions"))
    if not mine:
        blocks.append(section("You have not decided on any handoff yet."))
    for view in mine[:MAX_MINE]:
        assert view.decision is not None
        blocks.append(section(_headline(view)))
        blocks.append(context(decision_line(view.decision)))
    return {"type": "home", "blocks": blocks[:_HOME_BLOCKS]}


def _queue_blocks(queue: RepQueue, *, now: datetime) -> list[dict[str, Any]]:
    blocks = [_header(f"Your queue ({queue.total})"), context(rep_status(queue.away_until))]
    if not queue.cards:
        blocks.append(section("Nothing is assigned to you."))
    for view in queue.cards:
        blocks += _waiting(view, now=now)
    if queue.more:
        blocks.append(context(f"+{queue.more} more assigned to you"))
    blocks.append({"type": "divider"})
    return blocks


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


def _waiting(view: CardView, *, now: datetime) -> list[dict[str, Any]]:
    sla = sla_text(
        due_at=view.sla_due_at,
        now=now,
        decision=None,
        reminded_at=view.reminded_at,
        escalated_at=view.escalated_at,
    )
    where = f"card in {channel_link(view.channel)}" if view.channel else "card not posted yet"
    return [section(_headline(view)), context(sla, where)]


def _headline(view: CardView) -> str:
    profile = view.profile
    who = value(lead_name(profile, view.email), 150)
    role = " · ".join(value(part, 100) for part in (profile.title, profile.company) if part)
    text = (
        ("↩ *Returning* · " if view.earlier is not None else "")
        + f"*{who}*"
        + (f" — {role}" if role else "")
        + f"\nscore *{view.score.total:g}* · {value(view.trigger, 200)}"
    )
    return text[:MAX_SECTION_TEXT]

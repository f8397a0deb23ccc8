"""The App Home tab: the cards waiting for a decision (oldest first, with SLA state) and my decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.services.cards import CardView
from bot.slack.blocks_parts import context, decision_line, lead_name, section, sla_text
from bot.slack.text import MAX_SECTION_TEXT, channel_link, value

MAX_WAITING = 20
MAX_MINE = 10
_HOME_BLOCKS = 100  # Slack's limit for a home tab


def home_view(*, waiting: Sequence[CardView], mine: Sequence[CardView], now: datetime) -> dict[str, Any]:
    """A home tab view: waiting handoffs oldest first with their SLA state, then the rep's own decisions."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Waiting for a decision ({len(waiting)})"}}
    ]
    if not waiting:
        blocks.append(section("Nothing is waiting. 🎉"))
    for view in waiting[:MAX_WAITING]:
        blocks.append(section(_headline(view)))
        sla = sla_text(
            due_at=view.sla_due_at,
            now=now,
            decision=None,
            reminded_at=view.reminded_at,
            escalated_at=view.escalated_at,
        )
        where = f"card in {channel_link(view.channel)}" if view.channel else "card not posted yet"
        blocks.append(context(sla, where))
    blocks.append({"type": "divider"})
    blocks.append({"type": "header", "text": {"type": "plain_text", "text": "Your recent decisions"}})
    if not mine:
        blocks.append(section("You have not decided on any handoff yet."))
    for view in mine[:MAX_MINE]:
        assert view.decision is not None
        blocks.append(section(_headline(view)))
        blocks.append(context(decision_line(view.decision)))
    return {"type": "home", "blocks": blocks[:_HOME_BLOCKS]}


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

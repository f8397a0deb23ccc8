"""A lead's lifecycle for ``/lead``: its stage history with causes, its handoffs, its signals."""

from __future__ import annotations

from collections.abc import Sequence

from bot.services.lead_life import earlier_decision
from bot.slack.blocks_lifecycle import short_day
from bot.slack.blocks_parts import Block, decision_verb, section
from bot.slack.text import MAX_SECTION_TEXT, fit_mrkdwn, mention, value
from scoring.facts import Cause, SignalKind
from scoring.types import HandoffStatus, reason_label
from storage.handoffs import HandoffRecord, StageChangeRecord
from storage.signals import StoredSignal

MAX_CHANGES = 8
MAX_HANDOFFS = 5
MAX_SIGNALS = 5


def lead_history_blocks(
    *,
    stage_changes: Sequence[StageChangeRecord],
    handoffs: Sequence[HandoffRecord],
    signals: Sequence[StoredSignal],
) -> list[Block]:
    """Up to three sections, newest first, each only when it has something to show."""
    parts = (
        ("Stage history", [_change_line(change) for change in stage_changes], MAX_CHANGES),
        ("Handoffs", [_handoff_line(handoff) for handoff in handoffs], MAX_HANDOFFS),
        ("Signals", [_signal_line(signal) for signal in signals], MAX_SIGNALS),
    )
    return [_newest_first(title, lines, limit) for title, lines, limit in parts if lines]


def _newest_first(title: str, lines: list[str], limit: int) -> Block:
    shown = lines[-limit:][::-1]
    more = len(lines) - len(shown)
    text = f"*{title}*\n" + "\n".join(shown) + (f"\n… and {more} earlier" if more > 0 else "")
    return section(fit_mrkdwn(text, MAX_SECTION_TEXT))


def _label(enum: type[Cause] | type[SignalKind], raw: str) -> str:
    try:
        return enum(raw).label
    except ValueError:
        return value(raw, 40)


def _change_line(change: StageChangeRecord) -> str:
    cause, reason = _label(Cause, change.cause), value(change.reason, 160)
    why = reason if cause in reason else f"{reason} ({cause})"
    return (
        f"• {short_day(change.changed_at)}: {change.from_stage.upper()} → *{change.to_stage.upper()}* — {why}"
    )


def _handoff_line(handoff: HandoffRecord) -> str:
    line = f"• #{handoff.id} {short_day(handoff.created_at)}"
    if handoff.status == HandoffStatus.HISTORY:
        line += " 📜 history: qualified before Handoff saw it, no card"
    elif handoff.decision is not None:
        decision = handoff.decision
        line += f" — {decision_verb(decision.action)} by {mention(decision.decided_by)}"
        line += f" ({value(reason_label(decision.reason), 80)})" if decision.reason else ""
    else:
        line += " — open card"
    earlier = earlier_decision(handoff.earlier)
    if earlier is not None:
        line += f" · ↩ returning: {decision_verb(earlier.action.value)} by {mention(earlier.by)}"
        line += f" on {short_day(earlier.at)}"
    return line


def _signal_line(signal: StoredSignal) -> str:
    owner = f" ({mention(signal.owner)})" if signal.owner else ""
    detail = value(signal.detail, 160)
    return f"• {short_day(signal.at)}: {_label(SignalKind, signal.kind)} — {detail}{owner}"

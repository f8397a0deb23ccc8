"""The lifecycle part of ``handoff lead``: stage history with causes, handoffs, signals."""

from __future__ import annotations

from datetime import datetime

from rich.markup import escape
from rich.table import Table

from bot.services.lead_life import earlier_decision
from bot.services.leads import LeadReport
from scoring.facts import Cause, SignalKind
from scoring.types import Decision, HandoffStatus, reason_label
from storage.handoffs import HandoffRecord

_STATUS = {HandoffStatus.HISTORY: "history (imported: no card)", HandoffStatus.OPEN: "open card"}


def lead_lifecycle(report: LeadReport) -> list[Table]:
    """The tables shown under the score: only those with rows."""
    tables = [_stage_history(report), _handoffs(report), _signals(report)]
    return [table for table in tables if table.row_count]


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else ""


def _label(enum: type[Cause] | type[SignalKind], value: str) -> str:
    try:
        return enum(value).label
    except ValueError:
        return escape(value)


def _stage_history(report: LeadReport) -> Table:
    table = Table(title="Stage history", title_justify="left")
    for column in ("when", "move", "cause", "why", "score", "recorded"):
        table.add_column(column)
    for change in report.stage_changes:
        table.add_row(
            _when(change.changed_at),
            f"{change.from_stage.upper()} → [bold]{change.to_stage.upper()}[/]",
            _label(Cause, change.cause),
            escape(change.reason),
            f"{change.score:g}",
            _when(change.recorded_at),
        )
    return table


def _handoffs(report: LeadReport) -> Table:
    table = Table(title="Handoffs", title_justify="left")
    for column in ("#", "qualified", "status", "trigger", "decision"):
        table.add_column(column)
    for handoff in report.handoffs:
        table.add_row(
            f"{handoff.id}" + (" ↩" if handoff.earlier else ""),
            _when(handoff.created_at),
            _STATUS.get(handoff.status, handoff.status),
            escape(handoff.trigger),
            _decision_text(handoff),
        )
    return table


def _decision_text(handoff: HandoffRecord) -> str:
    lines = []
    if handoff.assignee:
        route = f" (route {escape(handoff.route)})" if handoff.route else ""
        lines.append(f"held by {escape(handoff.assignee)}{route}")
    if (decision := handoff.decision) is not None:
        lines.append(_decided(decision.action, decision.decided_by, decision.reason, decision.note))
    if (earlier := earlier_decision(handoff.earlier)) is not None:
        before = _decided(earlier.action.value, earlier.by, earlier.reason, earlier.note)
        lines.append(f"returning: {before} on {earlier.at:%Y-%m-%d}")
    return "\n".join(lines)


def _decided(action: str, by: str, reason: str | None, note: str | None) -> str:
    verb = Decision(action).past if action in tuple(Decision) else action
    text = f"{escape(verb)} by {escape(by)}"
    if reason:
        text += f" ({escape(reason_label(reason))})"
    return text + (f": “{escape(note)}”" if note else "")


def _signals(report: LeadReport) -> Table:
    table = Table(title="Signals", title_justify="left")
    for column in ("when", "signal", "detail", "owner"):
        table.add_column(column)
    for signal in report.signals:
        table.add_row(
            _when(signal.at),
            _label(SignalKind, signal.kind),
            escape(signal.detail),
            escape(signal.owner or ""),
        )
    return table

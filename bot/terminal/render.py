"""Terminal rendering (Rich) of lead reports and ingestion summaries."""

from __future__ import annotations

from datetime import datetime

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from bot.services.ingest import IngestResult
from bot.services.leads import LeadReport
from bot.services.timefmt import relative_time
from bot.terminal.render_lead import lead_lifecycle

MAX_REFUSALS_SHOWN = 20


def ingest_summary(console: Console, result: IngestResult, *, position_word: str = "line") -> None:
    """Counts of accepted, duplicate and refused events, then the first refusals with positions."""
    refused_items = sorted({refusal.index for refusal in result.refused})
    table = Table(show_header=False, box=None)
    table.add_row("[green]accepted[/]", str(result.accepted))
    table.add_row("[yellow]duplicates[/]", str(result.duplicates))
    table.add_row("[red]refused[/]", str(len(refused_items)))
    for stage, count in sorted(result.stage_changes.items()):
        table.add_row("back in nurture" if stage == "nurture" else f"new {stage.upper()}", str(count))
    if result.below_fit:
        table.add_row("hand-raise below fit", str(result.below_fit))
    console.print(table)
    if result.unknown_types:
        known = ", ".join(f"{name} ×{count}" for name, count in result.unknown_types.most_common())
        console.print(f"[yellow]unknown event types (stored, scored nothing):[/] {known}")
    for refusal in result.refused[:MAX_REFUSALS_SHOWN]:
        # Fields and errors quote the input (property keys, values): never read them as markup.
        field, error = escape(refusal.field), escape(refusal.error)
        console.print(f"  {position_word} {refusal.index}: [bold]{field}[/] — {error}", highlight=False)
    if len(result.refused) > MAX_REFUSALS_SHOWN:
        console.print(f"  … and {len(result.refused) - MAX_REFUSALS_SHOWN} more problems")


def _attributes_line(report: LeadReport) -> str:
    pairs = report.profile.attributes
    if not pairs:
        return ""
    return "attributes " + " · ".join(f"{escape(name)}={escape(str(value))}" for name, value in pairs) + "\n"


def _outcome_text(report: LeadReport) -> str:
    aside = report.kept_aside
    warning = (
        f"\n[red]the scorer could not store this lead since {aside.since:%Y-%m-%d %H:%M}"
        f" ({aside.attempts} tries): {escape(aside.error)}[/]"
        if aside
        else ""
    )
    outcome = report.outcome
    if outcome is None:
        return warning
    amount = (
        f" · {outcome.amount:,.0f} {outcome.currency or ''}".rstrip() if outcome.amount is not None else ""
    )
    return f"\noutcome [bold]{outcome.kind.value}[/] on {outcome.at:%Y-%m-%d}{escape(amount)}" + warning


def lead_panel(report: LeadReport, *, now: datetime) -> Panel:
    """A lead's profile, score with its explanation, stage history and handoffs."""
    lead, score = report.lead, report.score
    profile = lead.profile

    def shown(item: object) -> str:
        return escape(str(item)) if item not in (None, "") else "—"

    header = (
        f"[bold]{shown(profile.name or lead.email)}[/] <{escape(lead.email)}>\n"
        f"{shown(profile.title)} at {shown(profile.company)} · {profile.company_size or '?'} people · "
        f"{shown(profile.industry)} · {shown(profile.country)}\n"
        f"source {shown(profile.source)} · campaign {shown(profile.campaign)}\n"
        + _attributes_line(report)
        + f"stage [bold]{lead.stage.value.upper()}[/] · score [bold]{score.total:g}[/] "
        f"(fit {score.fit:g}, engagement {score.engagement:g})"
        + (" · [red]disqualified[/]" if score.disqualified else "")
        + _outcome_text(report)
    )
    signals = Table(title="Why this score", title_justify="left")
    for column in ("signal", "kind", "points", "events", "decay", "last"):
        signals.add_column(column)
    for item in sorted(score.contributions, key=lambda c: -abs(c.points)):
        signals.add_row(
            escape(item.label) + (" (capped)" if item.capped else "") + (" ⛔" if item.disqualifies else ""),
            item.kind,
            f"{item.points:+g}",
            str(item.events or ""),
            f"{1 - item.decay_factor:.0%}" if item.kind == "engagement" else "",
            relative_time(item.last_at, now) if item.last_at else "",
        )
    parts: list[object] = [header, signals, *lead_lifecycle(report)]
    return Panel(Group(*parts), title="lead", expand=False)  # type: ignore[arg-type]

"""The weekly digest in the terminal (``handoff digest``)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.services.digest_report import Breakdown, DigestReport, OwnerRow
from bot.services.digest_text import (
    TOP_OWNERS,
    campaign_line,
    headline_rows,
    more_owners,
    owner_time,
    percent,
    reason_lines,
)


def print_digest(console: Console, report: DigestReport, *, week_label: str) -> None:
    """Headline with changes, reasons, sources, campaigns, score bands and advice; or 'no activity'."""
    console.rule(f"[bold]MQL quality — {week_label}[/] ({report.timezone})")
    if report.is_empty:
        console.print(f"No activity in the {week_label}: no new MQLs, SQLs or decisions.")
        return
    headline = Table(show_header=True, header_style="bold", box=None)
    for column in ("", "this week", "vs last week"):
        headline.add_column(column)
    for row in headline_rows(report):
        headline.add_row(*row)
    console.print(headline)
    for line in reason_lines(report):
        console.print(f"  {line}")
    for heading, groups in (("first source", report.by_source), ("first campaign", report.by_campaign)):
        if groups:
            console.print(_groups(heading, groups))
    if (campaigns := campaign_line(report)) is not None:
        console.print(f"SQLs by the campaign that triggered them: {escape(campaigns)}", highlight=False)
    if report.bands:
        bands = Table("score at handoff", "accepted", "decided", "rate", header_style="bold")
        for band in report.bands:
            rate = percent(band.accepted / band.decided if band.decided else None)
            bands.add_row(band.label, str(band.accepted), str(band.decided), rate)
        console.print(bands)
    for heading, rows in (("owner", report.by_owner), ("route", report.by_route)):
        if rows:
            console.print(_owners(heading, rows))
            if (more := more_owners(rows)) is not None:
                console.print(f"  {more}")
    if not report.advice:
        console.print("Calibration: no model changes suggested, not enough decisions yet.")
    for item in report.advice:
        console.print(f"[bold]→ {item.suggestion}[/]  {item.evidence}", highlight=False)


def _groups(heading: str, groups: list[Breakdown]) -> Table:
    table = Table(heading, "MQLs", "SQLs", "accepted", "decided", header_style="bold")
    for group in groups:
        table.add_row(group.name, str(group.mqls), str(group.sqls), str(group.accepted), str(group.decided))
    return table


def _owners(heading: str, rows: list[OwnerRow]) -> Table:
    table = Table(
        heading,
        "handoffs",
        "accepted",
        "rejected",
        "recycled",
        "open",
        "median to decide",
        "SLA breaches",
        title=f"By {heading} (handoffs whose card opened this week)",
        header_style="bold",
    )
    for row in rows[:TOP_OWNERS]:
        counts = (row.handoffs, row.accepted, row.rejected, row.recycled, row.open)
        table.add_row(escape(row.name), *map(str, counts), owner_time(row), str(row.breaches))
    return table

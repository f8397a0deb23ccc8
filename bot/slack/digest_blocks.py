"""The weekly digest as Block Kit: headline with week-over-week change, reasons, groups, bands, advice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bot.services.digest_report import Breakdown, DigestReport, OwnerRow
from bot.services.digest_text import (
    TOP_OWNERS,
    campaign_line,
    headline_rows,
    more_owners,
    owner_breaches,
    owner_outcomes,
    owner_speed,
    percent,
    reason_lines,
)
from bot.slack.blocks_parts import MAX_FIELDS, context, section
from bot.slack.text import mention, plain, truncate, value

MAX_BLOCKS = 50


def digest_message(report: DigestReport, *, week_label: str) -> tuple[str, list[dict[str, Any]]]:
    """The fallback text and the blocks of the digest of ``week_label``."""
    title = f"MQL quality — {week_label}"
    blocks: list[dict[str, Any]] = [{"type": "header", "text": plain(title, 150)}]
    if report.is_empty:
        blocks.append(section(f"No activity in the {value(week_label)}: no new MQLs, SQLs or decisions."))
        return f"{title}: no activity", blocks
    rows = headline_rows(report)
    fields = [f"*{label}*\n{shown}" + (f"  ({delta})" if delta else "") for label, shown, delta in rows]
    blocks += [section("*This week* (change from the week before)", fields=fields[:MAX_FIELDS])]
    if fields[MAX_FIELDS:]:
        blocks.append(section(" ", fields=fields[MAX_FIELDS:]))
    if report.reasons:
        blocks.append(
            section("*Why leads were sent back*\n" + "\n".join(value(line) for line in reason_lines(report)))
        )
    for heading, groups in (
        ("By first source", report.by_source),
        ("By first campaign", report.by_campaign),
    ):
        if groups:
            blocks.append(section(f"*{heading}*\n" + "\n".join(_group_line(group) for group in groups)))
    if (campaigns := campaign_line(report)) is not None:
        blocks.append(section(f"*SQLs by the campaign that triggered them*\n{value(campaigns, 2000)}"))
    if report.bands:
        lines = [
            f"`{band.label:>8}`  {band.accepted} of {band.decided} accepted "
            f"({percent(band.accepted / band.decided if band.decided else None)})"
            for band in report.bands
        ]
        blocks.append(section("*Acceptance by score at handoff*\n" + "\n".join(lines)))
    for heading, owners, name in (
        ("By owner", report.by_owner, mention),
        ("By route", report.by_route, _route_name),
    ):
        if owners:
            blocks.append(section(_owners_text(heading, owners, name)))
    blocks.append(section(_advice_text(report)))
    blocks.append(
        context(f"Weeks run Monday to Sunday in {value(report.timezone)}. The chart is in the thread.")
    )
    week = report.week
    fallback = (
        f"{title}: {week.new_mqls} new MQLs, {week.sqls} SQLs, {week.accepted} accepted, "
        f"{week.rejected} rejected, {week.recycled} recycled"
    )
    return truncate(fallback, 3000), blocks[:MAX_BLOCKS]


def _group_line(group: Breakdown) -> str:
    return (
        f"• {value(group.name, 80)}: {group.mqls} MQLs, {group.sqls} SQLs, "
        f"{group.accepted} of {group.decided} accepted"
    )


def _owners_text(heading: str, rows: list[OwnerRow], name: Callable[[str], str]) -> str:
    lines = [
        f"• {name(row.name)} — {owner_outcomes(row)} · {owner_speed(row)} · {owner_breaches(row)}"
        for row in rows[:TOP_OWNERS]
    ]
    if (more := more_owners(rows)) is not None:
        lines.append(more)
    return f"*{heading}* (handoffs whose card opened this week)\n" + "\n".join(lines)


def _route_name(route: str) -> str:
    return f"*{value(route, 80)}*"


def _advice_text(report: DigestReport) -> str:
    if not report.advice:
        return "*Calibration*\nNo model changes suggested: not enough decisions yet to be sure."
    lines = [
        f"• *{value(item.suggestion, 300)}*\n   {value(item.evidence, 400)}" for item in report.advice[:8]
    ]
    return "*Calibration advice* (last 8 weeks)\n" + "\n".join(lines)

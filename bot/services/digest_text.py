"""Digest numbers as people read them, shared by the Slack and terminal renderings."""

from __future__ import annotations

from bot.services.digest_report import CALENDAR, Deals, DigestReport, OwnerRow, WeekCounts
from scoring import Decision, reason_label


def percent(rate: float | None) -> str:
    """'40%', or '—' when there is nothing to divide."""
    return "—" if rate is None else f"{rate * 100:.0f}%"


def duration(seconds: float | None) -> str:
    """'1 h 20 min', '2 d 3 h', '12 min', '—'."""
    if seconds is None:
        return "—"
    minutes = int(seconds // 60)
    days, hours, rest = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {rest} min" if hours else f"{rest} min"


def hours(seconds: float) -> str:
    """'27 h 10 min', '45 min': working time, where a day is no unit."""
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def change(now: int, before: int) -> str:
    """'▲ 3', '▼ 2', '='."""
    if now == before:
        return "="
    return f"▲ {now - before}" if now > before else f"▼ {before - now}"


def rate_change(now: float | None, before: float | None) -> str:
    """'▲ 5 pts', '▼ 12 pts', '=' (or nothing when either week had no data)."""
    if now is None or before is None:
        return ""
    points = round((now - before) * 100)
    return "=" if points == 0 else (f"▲ {points} pts" if points > 0 else f"▼ {-points} pts")


def headline_rows(report: DigestReport) -> list[tuple[str, str, str]]:
    """(label, this week, change from last week) for every headline number."""
    week, before = report.week, report.previous
    rows = [
        ("New MQLs", str(week.new_mqls), change(week.new_mqls, before.new_mqls)),
        ("SQLs", _sql_split(week), change(week.sqls, before.sqls)),
        (
            "MQL→SQL conversion",
            f"{percent(week.conversion_rate)} ({week.converted} of {week.new_mqls})",
            rate_change(week.conversion_rate, before.conversion_rate),
        ),
        (
            "Hand-raise below fit",
            str(week.hand_raise_below_fit),
            change(week.hand_raise_below_fit, before.hand_raise_below_fit),
        ),
        ("Expired MQLs", str(week.expired), change(week.expired, before.expired)),
    ]
    for label, count, rate, before_rate in _outcomes(week, before):
        rows.append((label, f"{count} ({percent(rate)})", rate_change(rate, before_rate)))
    if week.deals or before.deals:
        rows.append(("CRM outcomes", deals_text(week.deals), change(week.deals.won, before.deals.won)))
    rows += [
        ("Median time to decision", duration(week.median_seconds_to_decide), ""),
        ("SLA breaches", str(week.sla_breaches), change(week.sla_breaches, before.sla_breaches)),
        ("Reminders / escalations", f"{week.reminders} / {week.escalations}", ""),
    ]
    return rows


def deals_text(deals: Deals) -> str:
    """'3 won (USD 45,000), 1 lost, 4 opportunities'."""
    amounts = "; ".join(f"{currency} {amount:,.0f}".strip() for currency, amount in deals.won_amounts)
    won = f"{deals.won} won" + (f" ({amounts})" if amounts else "")
    opportunities = f"{deals.opportunities} opportunit{'y' if deals.opportunities == 1 else 'ies'}"
    return f"{won}, {deals.lost} lost, {opportunities}"


def _sql_split(week: WeekCounts) -> str:
    """'5 (3 from MQL, 2 direct; 1 history, no card)'."""
    history = f"; {week.history_sqls} history, no card" if week.history_sqls else ""
    return f"{week.sqls} ({week.sqls_from_mql} from MQL, {week.direct_sqls} direct{history})"


def campaign_line(report: DigestReport) -> str | None:
    """'q4-launch 3, (none) 1': the week's SQLs by the campaign of the event that triggered them."""
    if not report.sqls_by_trigger_campaign:
        return None
    return ", ".join(f"{name} {count}" for name, count in report.sqls_by_trigger_campaign)


def _outcomes(week: WeekCounts, before: WeekCounts) -> list[tuple[str, int, float | None, float | None]]:
    return [
        ("Accepted", week.accepted, week.acceptance_rate, before.acceptance_rate),
        ("Rejected", week.rejected, week.rejection_rate, before.rejection_rate),
        ("Recycled", week.recycled, week.recycle_rate, before.recycle_rate),
    ]


def reason_lines(report: DigestReport, limit: int = 8) -> list[str]:
    """'Rejected — No fit: 4', most frequent first."""
    verbs: dict[str, str] = {Decision.REJECT: "Rejected", Decision.RECYCLE: "Recycled"}
    lines = []
    for item in report.reasons[:limit]:
        label = reason_label(item.reason) if item.reason else "no reason"
        lines.append(f"{verbs.get(item.action, item.action)} — {label}: {item.count}")
    return lines


TOP_OWNERS = 8


def owner_outcomes(row: OwnerRow) -> str:
    """'5 handoffs: 2 accepted (67%), 1 rejected, 0 recycled, 2 open'."""
    accepted = f"{row.accepted} accepted" + (f" ({percent(row.acceptance_rate)})" if row.decided else "")
    return (
        f"{_count(row.handoffs, 'handoff')}: {accepted}, {row.rejected} rejected, "
        f"{row.recycled} recycled, {row.open} open"
    )


def owner_speed(row: OwnerRow) -> str:
    """'median time to decide 2 h 10 min (working hours)', or 'none decided'."""
    return (
        "none decided" if row.median_seconds_to_decide is None else f"median time to decide {owner_time(row)}"
    )


def owner_time(row: OwnerRow) -> str:
    """'2 h 10 min (working hours)', '1 d 2 h (calendar)', or '—' when none was decided."""
    seconds = row.median_seconds_to_decide
    if seconds is None:
        return "—"
    shown = duration(seconds) if row.clock == CALENDAR else hours(seconds)
    return f"{shown} ({row.clock})"


def owner_breaches(row: OwnerRow) -> str:
    """'1 SLA breach', '3 SLA breaches', 'no SLA breach'."""
    return _count(row.breaches, "SLA breach", "SLA breaches") if row.breaches else "no SLA breach"


def more_owners(rows: list[OwnerRow], limit: int = TOP_OWNERS) -> str | None:
    """'+3 more (7 handoffs)' for the rows past the first ``limit``."""
    rest = rows[limit:]
    if not rest:
        return None
    return f"+{len(rest)} more ({_count(sum(row.handoffs for row in rest), 'handoff')})"


def _count(number: int, one: str, many: str | None = None) -> str:
    return f"{number} {one if number == 1 else many or one + 's'}"

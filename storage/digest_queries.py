"""The digest's numbers, computed by the database (grouped aggregates, never row by row in Python).

Weeks are given as ``(start, end)`` UTC bounds (the caller works out local weeks). Each query
labels rows with the index of the week they fall in, inside a subquery, and groups by that label:
one scan of each table answers every week of the chart at once. Where one scan can answer several
of the digest's questions, it groups by all of their keys and the caller sums the groups it needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

from storage.tables import DecisionRow, HandoffRow, HandoffSignalRow, LeadRow, StageChangeRow

Week = tuple[datetime, datetime]
_SLA_LOOKBACK = timedelta(days=30)
_MQL_OR_SQL = ("mql", "sql")


@dataclass(frozen=True, slots=True)
class DecisionGroup:
    """How many decisions of one week had the same action, reason and score band."""

    week: int
    action: str
    reason: str | None
    band: int
    count: int


@dataclass(frozen=True, slots=True)
class SourceGroup:
    """One (source, campaign) pair's week: MQLs, SQLs, accepted and decided."""

    source: str | None
    campaign: str | None
    mqls: int
    sqls: int
    accepted: int
    decided: int


def _week_of(column: Any, weeks: Sequence[Week]) -> ColumnElement[Any]:
    return case(*[(and_(column >= start, column < end), index) for index, (start, end) in enumerate(weeks)])


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _became_mql(change: type[StageChangeRow]) -> ColumnElement[bool]:
    return and_(change.from_stage == "lead", change.to_stage.in_(_MQL_OR_SQL))


class DigestQueries:
    """Aggregate queries for the weekly digest, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def stage_counts(self, weeks: Sequence[Week]) -> dict[int, tuple[int, int, int]]:
        """Per week: new MQLs, SQLs, and how many of the new MQLs are SQLs (or decided) by now."""
        change, later = StageChangeRow, aliased(StageChangeRow)
        start, end = weeks[0][0], weeks[-1][1]
        # A lead leaves 'lead' once and only then can become an SQL: SQL changes before the window
        # cannot convert the window's MQLs, so the set of leads looked up stays small.
        sql_leads = select(later.lead_id).where(later.to_stage == "sql", later.changed_at >= start)
        converted = and_(_became_mql(change), (change.to_stage == "sql") | change.lead_id.in_(sql_leads))
        rows = (
            select(
                _week_of(change.changed_at, weeks).label("week"),
                _flag(_became_mql(change)).label("mql"),
                _flag(change.to_stage == "sql").label("sql"),
                _flag(converted).label("converted"),
            )
            .where(change.to_stage.in_(_MQL_OR_SQL), change.changed_at >= start, change.changed_at < end)
            .subquery()
        )
        query = select(
            rows.c.week, func.sum(rows.c.mql), func.sum(rows.c.sql), func.sum(rows.c.converted)
        ).group_by(rows.c.week)
        return {week: (int(m), int(s), int(c)) for week, m, s, c in self._session.execute(query)}

    def decision_groups(self, weeks: Sequence[Week], *, edges: Sequence[float]) -> list[DecisionGroup]:
        """Decisions per week, action, reason and score band (index into ``edges``) of their handoff."""
        handoff, decision = HandoffRow, DecisionRow
        band = case(*[(handoff.score < edge, index) for index, edge in enumerate(edges)], else_=len(edges))
        rows = (
            select(
                _week_of(decision.decided_at, weeks).label("week"),
                decision.action.label("action"),
                decision.reason.label("reason"),
                band.label("band"),
            )
            .join(handoff, handoff.id == decision.handoff_id)
            .where(decision.decided_at >= weeks[0][0], decision.decided_at < weeks[-1][1])
            .subquery()
        )
        keys = (rows.c.week, rows.c.action, rows.c.reason, rows.c.band)
        query = select(*keys, func.count()).group_by(*keys)
        return [
            DecisionGroup(week, action, reason, band_index, int(count))
            for week, action, reason, band_index, count in self._session.execute(query)
        ]

    def sla_counts(self, weeks: Sequence[Week], *, now: datetime) -> dict[int, tuple[int, int, int]]:
        """Per week: SLA breaches (by due time), reminders and escalations sent."""
        handoff = HandoffRow
        breached = and_(
            handoff.sla_due_at < now,
            (handoff.decided_at.is_(None)) | (handoff.decided_at > handoff.sla_due_at),
        )
        rows = (
            select(
                case((breached, _week_of(handoff.sla_due_at, weeks))).label("breach"),
                _week_of(handoff.reminded_at, weeks).label("reminder"),
                _week_of(handoff.escalated_at, weeks).label("escalation"),
            )
            .where(handoff.created_at >= weeks[0][0] - _SLA_LOOKBACK, handoff.created_at < weeks[-1][1])
            .subquery()
        )
        keys = (rows.c.breach, rows.c.reminder, rows.c.escalation)
        result: dict[int, list[int]] = {}
        for *found, count in self._session.execute(select(*keys, func.count()).group_by(*keys)):
            for slot, week in enumerate(found):
                if week is not None:
                    result.setdefault(week, [0, 0, 0])[slot] += int(count)
        return {week: (values[0], values[1], values[2]) for week, values in result.items()}

    def medians_to_decide(self, weeks: Sequence[Week]) -> dict[int, float]:
        """Per week with decisions: the median time from card to decision of the week's decisions."""
        decision = DecisionRow
        labelled = (
            select(
                _week_of(decision.decided_at, weeks).label("week"),
                decision.seconds_to_decide.label("seconds"),
            )
            .where(decision.decided_at >= weeks[0][0], decision.decided_at < weeks[-1][1])
            .subquery()
        )
        ranked = select(
            labelled.c.week,
            labelled.c.seconds,
            func.row_number().over(partition_by=labelled.c.week, order_by=labelled.c.seconds).label("rank"),
            func.count().over(partition_by=labelled.c.week).label("size"),
        ).subquery()
        middle = and_(ranked.c.rank * 2 >= ranked.c.size, ranked.c.rank * 2 <= ranked.c.size + 2)
        query = select(ranked.c.week, func.avg(ranked.c.seconds)).where(middle).group_by(ranked.c.week)
        return {week: float(median) for week, median in self._session.execute(query)}

    def source_groups(self, week: Week) -> list[SourceGroup]:
        """The week's MQLs, SQLs, accepted and decided per lead source and campaign."""
        change, decision, lead = StageChangeRow, DecisionRow, LeadRow
        zero, one = literal_column("0", Integer), literal_column("1", Integer)
        changes = select(
            change.lead_id.label("lead_id"),
            _flag(_became_mql(change)).label("mqls"),
            _flag(change.to_stage == "sql").label("sqls"),
            zero.label("accepted"),
            zero.label("decided"),
        ).where(change.to_stage.in_(_MQL_OR_SQL), change.changed_at >= week[0], change.changed_at < week[1])
        decided = select(decision.lead_id, zero, zero, _flag(decision.action == "accept"), one).where(
            decision.decided_at >= week[0], decision.decided_at < week[1]
        )
        rows = union_all(changes, decided).subquery()
        sums = [func.sum(rows.c[name]) for name in ("mqls", "sqls", "accepted", "decided")]
        query = (
            select(lead.source, lead.campaign, *sums)
            .join(lead, lead.id == rows.c.lead_id)
            .group_by(lead.source, lead.campaign)
        )
        return [
            SourceGroup(source, campaign, *(int(value) for value in values))
            for source, campaign, *values in self._session.execute(query)
        ]

    def rule_acceptance(self, window: Week) -> dict[str, tuple[int, int]]:
        """Per scoring rule behind a handoff: (decided, accepted) over ``window``."""
        signal, decision = HandoffSignalRow, DecisionRow
        query = (
            select(
                signal.rule_id, func.count(), func.coalesce(func.sum(_flag(decision.action == "accept")), 0)
            )
            .join(decision, decision.handoff_id == signal.handoff_id)
            .where(decision.decided_at >= window[0], decision.decided_at < window[1])
            .group_by(signal.rule_id)
        )
        return {rule: (int(total), int(accepted)) for rule, total, accepted in self._session.execute(query)}

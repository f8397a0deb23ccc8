"""The digest's numbers, computed by the database (grouped aggregates, never row by row in Python).

Weeks are given as ``(start, end)`` UTC bounds of consecutive weeks, oldest first (the caller
works out local weeks). A query labels each row with the index of the week it falls in and groups
by that label: one statement answers every week of the chart at once. Where one scan can answer
several of the digest's questions, it groups by all of their keys and the caller sums the groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    FromClause,
    Integer,
    Subquery,
    and_,
    case,
    func,
    join,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from storage.tables import (
    DecisionRow,
    HandoffRow,
    HandoffSignalRow,
    LeadRow,
    StageChangeRow,
    UTCDateTime,
    table,
)

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


def _weeks_table(weeks: Sequence[Week]) -> Subquery:
    """The weeks as rows of (week index, start, end)."""
    rows = [
        select(
            literal(index, Integer).label("week"),
            literal(start, UTCDateTime).label("start_at"),
            literal(end, UTCDateTime).label("end_at"),
        )
        for index, (start, end) in enumerate(weeks)
    ]
    return union_all(*rows).subquery("weeks")


def _in_week(column: Any, weeks: Subquery) -> ColumnElement[bool]:
    return and_(column >= weeks.c.start_at, column < weeks.c.end_at)


def _week_of(column: Any, weeks: Sequence[Week]) -> ColumnElement[Any]:
    """The index of the week ``column`` falls in, NULL outside the weeks (and for NULL)."""
    before = (column < weeks[0][0], null())
    return case(before, *[(column < end, index) for index, (_, end) in enumerate(weeks)])


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _became_mql(change: type[StageChangeRow]) -> ColumnElement[bool]:
    return and_(change.from_stage == "lead", change.to_stage.in_(_MQL_OR_SQL))


class DigestQueries:
    """Aggregate queries for the weekly digest, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def _by_week(
        self,
        column: Any,
        weeks: Sequence[Week],
        *columns: ColumnElement[Any],
        source: FromClause | None = None,
        where: Sequence[ColumnElement[bool]] = (),
    ) -> Subquery:
        """``columns`` of the rows of ``source`` whose ``column`` falls in the weeks, with their ``week``."""
        source = column.table if source is None else source
        if self._session.get_bind().dialect.name == "postgresql":
            # PostgreSQL plans one range scan labelled by a CASE best: joined to the weeks, it runs a
            # bitmap heap scan per week in parallel workers that each rebuild the query's IN lists.
            in_window = and_(column >= weeks[0][0], column < weeks[-1][1], *where)
            labelled = select(_week_of(column, weeks).label("week"), *columns).select_from(source)
            return labelled.where(in_window).subquery()
        # SQLite: one index range per week, with no CASE to evaluate per row.
        week = _weeks_table(weeks)
        joined = select(week.c.week, *columns).select_from(week)
        return joined.join(source, and_(_in_week(column, week), *where)).subquery()

    def stage_counts(self, weeks: Sequence[Week]) -> dict[int, tuple[int, int, int]]:
        """Per week: new MQLs, SQLs, and how many of the new MQLs are SQLs (or decided) by now."""
        change, later = StageChangeRow, aliased(StageChangeRow)
        # A lead leaves 'lead' once and only then can become an SQL: SQL changes before the window
        # cannot convert the window's MQLs, so the set of leads looked up stays small.
        sql_leads = select(later.lead_id).where(later.to_stage == "sql", later.changed_at >= weeks[0][0])
        converted = and_(_became_mql(change), (change.to_stage == "sql") | change.lead_id.in_(sql_leads))
        rows = self._by_week(
            change.changed_at,
            weeks,
            _flag(_became_mql(change)).label("mql"),
            _flag(change.to_stage == "sql").label("sql"),
            _flag(converted).label("converted"),
            where=[change.to_stage.in_(_MQL_OR_SQL)],
        )
        sums = [func.sum(rows.c[name]) for name in ("mql", "sql", "converted")]
        query = select(rows.c.week, *sums).group_by(rows.c.week)
        return {index: (int(m), int(s), int(c)) for index, m, s, c in self._session.execute(query)}

    def decision_groups(self, weeks: Sequence[Week], *, edges: Sequence[float]) -> list[DecisionGroup]:
        """Decisions per week, action, reason and score band (index into ``edges``) of their handoff."""
        handoff, decision = HandoffRow, DecisionRow
        band = case(*[(handoff.score < edge, index) for index, edge in enumerate(edges)], else_=len(edges))
        rows = self._by_week(
            decision.decided_at,
            weeks,
            decision.action.label("action"),
            decision.reason.label("reason"),
            band.label("band"),
            source=join(table(DecisionRow), table(HandoffRow), handoff.id == decision.handoff_id),
        )
        keys = (rows.c.week, rows.c.action, rows.c.reason, rows.c.band)
        query = select(*keys, func.count()).group_by(*keys)
        return [
            DecisionGroup(index, action, reason, band_index, int(count))
            for index, action, reason, band_index, count in self._session.execute(query)
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
        rows = self._by_week(decision.decided_at, weeks, decision.seconds_to_decide.label("seconds"))
        ranked = select(
            rows.c.week,
            rows.c.seconds,
            func.row_number().over(partition_by=rows.c.week, order_by=rows.c.seconds).label("rank"),
            func.count().over(partition_by=rows.c.week).label("size"),
        ).subquery()
        middle = and_(ranked.c.rank * 2 >= ranked.c.size, ranked.c.rank * 2 <= ranked.c.size + 2)
        query = select(ranked.c.week, func.avg(ranked.c.seconds)).where(middle).group_by(ranked.c.week)
        return {index: float(median) for index, median in self._session.execute(query)}

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
        names = ("mqls", "sqls", "accepted", "decided")
        per_lead = (
            select(rows.c.lead_id, *[func.sum(rows.c[name]).label(name) for name in names])
            .group_by(rows.c.lead_id)
            .subquery()
        )
        query = (
            select(lead.source, lead.campaign, *[func.sum(per_lead.c[name]) for name in names])
            .join(lead, lead.id == per_lead.c.lead_id)
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

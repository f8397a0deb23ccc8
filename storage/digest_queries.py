"""The digest's numbers, computed by the database (grouped aggregates, never row by row in Python).

Weeks are given as ``(start, end)`` UTC bounds (the caller works out local weeks). Each query
labels rows with the index of the week they fall in, inside a subquery, and groups by that label:
one scan of each table answers every week of the chart at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from storage.tables import DecisionRow, HandoffRow, HandoffSignalRow, LeadRow, StageChangeRow

Week = tuple[datetime, datetime]
_SLA_LOOKBACK = timedelta(days=30)


def _week_of(column: Any, weeks: Sequence[Week]) -> ColumnElement[Any]:
    return case(*[(and_(column >= start, column < end), index) for index, (start, end) in enumerate(weeks)])


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class DigestQueries:
    """Aggregate queries for the weekly digest, inside the caller's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def stage_counts(self, weeks: Sequence[Week]) -> dict[int, tuple[int, int, int]]:
        """Per week: new MQLs, SQLs, and how many of the new MQLs are SQLs (or decided) by now."""
        change, later = StageChangeRow, aliased(StageChangeRow)
        became_mql = and_(change.from_stage == "lead", change.to_stage.in_(("mql", "sql")))
        reached_sql = exists().where(later.lead_id == change.lead_id, later.to_stage == "sql")
        rows = (
            select(
                _week_of(change.changed_at, weeks).label("week"),
                case((became_mql, 1), else_=0).label("mql"),
                case((change.to_stage == "sql", 1), else_=0).label("sql"),
                case((and_(became_mql, reached_sql), 1), else_=0).label("converted"),
            )
            .where(change.changed_at >= weeks[0][0], change.changed_at < weeks[-1][1])
            .subquery()
        )
        query = select(rows.c.week, func.sum(rows.c.mql), func.sum(rows.c.sql), func.sum(rows.c.converted))
        return {
            week: (int(m), int(s), int(c))
            for week, m, s, c in self._session.execute(query.group_by(rows.c.week))
        }

    def decision_counts(self, weeks: Sequence[Week]) -> dict[int, tuple[int, int, int]]:
        """Per week: accepted, rejected and recycled decisions."""
        decision = DecisionRow
        rows = (
            select(_week_of(decision.decided_at, weeks).label("week"), decision.action.label("action"))
            .where(decision.decided_at >= weeks[0][0], decision.decided_at < weeks[-1][1])
            .subquery()
        )
        query = select(
            rows.c.week,
            _count_if(rows.c.action == "accept"),
            _count_if(rows.c.action == "reject"),
            _count_if(rows.c.action == "recycle"),
        ).group_by(rows.c.week)
        return {week: (int(a), int(r), int(c)) for week, a, r, c in self._session.execute(query)}

    def sla_counts(self, weeks: Sequence[Week], *, now: datetime) -> dict[int, tuple[int, int, int]]:
        """Per week: SLA breaches (by due time), reminders and escalations sent."""
        handoff = HandoffRow
        breached = and_(
            handoff.sla_due_at < now,
            (handoff.decided_at.is_(None)) | (handoff.decided_at > handoff.sla_due_at),
        )
        result: dict[int, list[int]] = {}
        for slot, column, condition in (
            (0, handoff.sla_due_at, breached),
            (1, handoff.reminded_at, handoff.reminded_at.is_not(None)),
            (2, handoff.escalated_at, handoff.escalated_at.is_not(None)),
        ):
            rows = (
                select(_week_of(column, weeks).label("week"), case((condition, 1), else_=0).label("hit"))
                .where(
                    handoff.created_at >= weeks[0][0] - _SLA_LOOKBACK,
                    handoff.created_at < weeks[-1][1],
                    column >= weeks[0][0],
                    column < weeks[-1][1],
                )
                .subquery()
            )
            query = select(rows.c.week, func.sum(rows.c.hit)).group_by(rows.c.week)
            for week, hits in self._session.execute(query):
                result.setdefault(week, [0, 0, 0])[slot] = int(hits or 0)
        return {week: (values[0], values[1], values[2]) for week, values in result.items()}

    def median_seconds_to_decide(self, week: Week) -> float | None:
        """The median time from card to decision for decisions taken in ``week``."""
        in_week = and_(DecisionRow.decided_at >= week[0], DecisionRow.decided_at < week[1])
        count = int(self._session.execute(select(func.count()).where(in_week)).scalar_one())
        if count == 0:
            return None
        middle = (
            select(DecisionRow.seconds_to_decide)
            .where(in_week)
            .order_by(DecisionRow.seconds_to_decide)
            .offset((count - 1) // 2)
            .limit(2 - count % 2)
        )
        values = list(self._session.execute(middle).scalars())
        return sum(values) / len(values)

    def reasons(self, week: Week) -> list[tuple[str, str | None, int]]:
        """Rejection and recycle reasons of ``week``, most frequent first."""
        decision = DecisionRow
        query = (
            select(decision.action, decision.reason, func.count())
            .where(
                decision.decided_at >= week[0],
                decision.decided_at < week[1],
                decision.action.in_(("reject", "recycle")),
            )
            .group_by(decision.action, decision.reason)
            .order_by(func.count().desc(), decision.action, decision.reason)
        )
        return [(action, reason, int(count)) for action, reason, count in self._session.execute(query)]

    def breakdown(self, week: Week, *, column: str) -> dict[str | None, list[int]]:
        """Per value of ``leads.<column>`` (source or campaign): [MQLs, SQLs, accepted, decided]."""
        group = LeadRow.__table__.c[column]
        change, decision = StageChangeRow, DecisionRow
        result: dict[str | None, list[int]] = {}
        stages = (
            select(
                group,
                _count_if(and_(change.from_stage == "lead", change.to_stage.in_(("mql", "sql")))),
                _count_if(change.to_stage == "sql"),
            )
            .join(LeadRow, LeadRow.id == change.lead_id)
            .where(change.changed_at >= week[0], change.changed_at < week[1])
            .group_by(group)
        )
        for name, mqls, sqls in self._session.execute(stages):
            result.setdefault(name, [0, 0, 0, 0])[0:2] = [int(mqls), int(sqls)]
        decided = (
            select(group, _count_if(decision.action == "accept"), func.count())
            .join(LeadRow, LeadRow.id == decision.lead_id)
            .where(decision.decided_at >= week[0], decision.decided_at < week[1])
            .group_by(group)
        )
        for name, accepted, total in self._session.execute(decided):
            result.setdefault(name, [0, 0, 0, 0])[2:4] = [int(accepted), int(total)]
        return result

    def bands(self, window: Week, *, edges: Sequence[float]) -> dict[int, tuple[int, int, int, str | None]]:
        """Per score band (index into ``edges``): accepted, rejected, recycled, and the top reject reason."""
        handoff, decision = HandoffRow, DecisionRow
        band = case(*[(handoff.score < edge, index) for index, edge in enumerate(edges)], else_=len(edges))
        rows = (
            select(band.label("band"), decision.action.label("action"), decision.reason.label("reason"))
            .join(handoff, handoff.id == decision.handoff_id)
            .where(decision.decided_at >= window[0], decision.decided_at < window[1])
            .subquery()
        )
        counts = select(
            rows.c.band,
            _count_if(rows.c.action == "accept"),
            _count_if(rows.c.action == "reject"),
            _count_if(rows.c.action == "recycle"),
        ).group_by(rows.c.band)
        reasons = (
            select(rows.c.band, rows.c.reason, func.count())
            .where(rows.c.action == "reject")
            .group_by(rows.c.band, rows.c.reason)
            .order_by(rows.c.band, func.count().desc(), rows.c.reason)
        )
        top: dict[int, str | None] = {}
        for band_index, reason, _ in self._session.execute(reasons):
            top.setdefault(band_index, reason)
        return {
            index: (int(a), int(r), int(c), top.get(index))
            for index, a, r, c in self._session.execute(counts)
        }

    def rule_acceptance(self, window: Week) -> dict[str, tuple[int, int]]:
        """Per scoring rule behind a handoff: (decided, accepted) over ``window``."""
        signal, decision = HandoffSignalRow, DecisionRow
        query = (
            select(signal.rule_id, func.count(), _count_if(decision.action == "accept"))
            .join(decision, decision.handoff_id == signal.handoff_id)
            .where(decision.decided_at >= window[0], decision.decided_at < window[1])
            .group_by(signal.rule_id)
        )
        return {rule: (int(total), int(accepted)) for rule, total, accepted in self._session.execute(query)}

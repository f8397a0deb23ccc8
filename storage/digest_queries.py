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
    outerjoin,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from scoring.types import Decision, HandoffStatus, Stage
from storage.signals import HAND_RAISE_BELOW_FIT
from storage.tables import (
    OUTCOME_ROWS,
    DecisionRow,
    EventRow,
    HandoffRow,
    LeadRow,
    LeadSignalRow,
    StageChangeRow,
    UTCDateTime,
    table,
)

Week = tuple[datetime, datetime]
_SLA_LOOKBACK = timedelta(days=30)
_MQL_OR_SQL = ("mql", "sql")
_COUNTED = ("mql", "sql", "expired")


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """A week's outcome events of one type and currency: how many, and their amounts summed."""

    type: str
    currency: str | None
    count: int
    amount: float


@dataclass(frozen=True, slots=True)
class StageCounts:
    """One event-time week's moves: into MQL, into SQL (from MQL, the rest direct), into expired; and
    how many of the week's MQL moves went on to an MQL→SQL move."""

    mqls: int = 0
    sqls: int = 0
    sqls_from_mql: int = 0
    converted: int = 0
    expired: int = 0


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


def _new_mql(change: type[StageChangeRow]) -> ColumnElement[bool]:
    """A move into MQL by score: from lead or expired. A return to nurture (from rejected, recycled,
    or an SQL kept as history) is not a new MQL. The stages say it as the causes
    do, and are in the covering index, where reading the cause costs a table row per change."""
    return and_(change.to_stage == Stage.MQL, change.from_stage.in_((Stage.LEAD, Stage.EXPIRED)))


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

    def stage_counts(self, weeks: Sequence[Week]) -> dict[int, StageCounts]:
        """Per event-time week: moves into MQL, SQL (and of those, from MQL) and expired, and how many
        of the week's MQL moves were followed by an MQL→SQL move of the same lead."""
        change, later = StageChangeRow, aliased(StageChangeRow)
        # Each lead's last MQL→SQL move since the window opened, joined once (a correlated EXISTS per
        # row reads the stage changes again for every MQL move: minutes on a year of history).
        went_on = (
            select(later.lead_id.label("lead_id"), func.max(later.changed_at).label("last_at"))
            .where(later.to_stage == "sql", later.changed_at >= weeks[0][0], later.from_stage == "mql")
            .group_by(later.lead_id)
            .subquery("went_on")
        )
        rows = self._by_week(
            change.changed_at,
            weeks,
            _flag(_new_mql(change)).label("mqls"),
            _flag(change.to_stage == "sql").label("sqls"),
            _flag(and_(change.to_stage == "sql", change.from_stage == "mql")).label("sqls_from_mql"),
            _flag(and_(_new_mql(change), went_on.c.last_at >= change.changed_at)).label("converted"),
            _flag(change.to_stage == "expired").label("expired"),
            source=outerjoin(table(StageChangeRow), went_on, went_on.c.lead_id == change.lead_id),
            where=[change.to_stage.in_(_COUNTED)],
        )
        names = ("mqls", "sqls", "sqls_from_mql", "converted", "expired")
        query = select(rows.c.week, *[func.sum(rows.c[name]) for name in names]).group_by(rows.c.week)
        return {
            index: StageCounts(*(int(value) for value in values))
            for index, *values in self._session.execute(query)
        }

    def outcome_counts(self, weeks: Sequence[Week]) -> dict[int, list[OutcomeCount]]:
        """Per event-time week: the CRM's outcome events by type and currency, with their count and
        the sum of their amounts."""
        event = EventRow
        rows = (
            select(
                _week_of(event.occurred_at, weeks).label("week"),
                event.type.label("type"),
                event.properties["currency"].as_string().label("currency"),
                event.properties["amount"].as_float().label("amount"),
            )
            .where(
                # SQLite takes a partial index only for a WHERE repeating its literals (a bound
                # parameter proves nothing): without them this read every event of the window.
                OUTCOME_ROWS,
                event.occurred_at >= weeks[0][0],
                event.occurred_at < weeks[-1][1],
            )
            .subquery()
        )
        totals = select(
            rows.c.week,
            rows.c.type,
            rows.c.currency,
            func.count(),
            func.coalesce(func.sum(rows.c.amount), 0.0),
        ).group_by(rows.c.week, rows.c.type, rows.c.currency)
        found: dict[int, list[OutcomeCount]] = {}
        for week, kind, currency, count, amount in self._session.execute(totals):
            found.setdefault(week, []).append(OutcomeCount(kind, currency, int(count), float(amount)))
        return found

    def uncarded_counts(self, weeks: Sequence[Week]) -> dict[int, tuple[int, int]]:
        """Per event-time week: hand-raises below the fit floor (not carded) and SQLs kept as history."""
        signal, handoff = LeadSignalRow, HandoffRow
        window = (weeks[0][0], weeks[-1][1])
        below = select(_week_of(signal.at, weeks).label("week"), literal(0).label("kind")).where(
            signal.kind == HAND_RAISE_BELOW_FIT, signal.at >= window[0], signal.at < window[1]
        )
        history = select(_week_of(handoff.created_at, weeks), literal(1)).where(
            handoff.status == HandoffStatus.HISTORY,
            handoff.created_at >= window[0],
            handoff.created_at < window[1],
        )
        rows = union_all(below, history).subquery()
        query = select(rows.c.week, rows.c.kind, func.count()).group_by(rows.c.week, rows.c.kind)
        result: dict[int, list[int]] = {}
        for week, kind, count in self._session.execute(query):
            result.setdefault(week, [0, 0])[kind] = int(count)
        return {week: (values[0], values[1]) for week, values in result.items()}

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
        """The week's MQLs, SQLs, accepted and decided per lead's first-touch source and campaign
        (what the lead first came with: a later profile change does not move it)."""
        change, decision, lead = StageChangeRow, DecisionRow, LeadRow
        zero, one = literal_column("0", Integer), literal_column("1", Integer)
        changes = select(
            change.lead_id.label("lead_id"),
            _flag(_new_mql(change)).label("mqls"),
            _flag(change.to_stage == "sql").label("sqls"),
            zero.label("accepted"),
            zero.label("decided"),
        ).where(change.to_stage.in_(_MQL_OR_SQL), change.changed_at >= week[0], change.changed_at < week[1])
        decided = select(decision.lead_id, zero, zero, _flag(decision.action == Decision.ACCEPT), one).where(
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
            select(lead.first_source, lead.first_campaign, *[func.sum(per_lead.c[name]) for name in names])
            .join(lead, lead.id == per_lead.c.lead_id)
            .group_by(lead.first_source, lead.first_campaign)
        )
        return [
            SourceGroup(source, campaign, *(int(value) for value in values))
            for source, campaign, *values in self._session.execute(query)
        ]

    def sql_campaigns(self, week: Week) -> dict[str | None, int]:
        """The week's SQLs per campaign of the event that triggered them (None: no campaign)."""
        change = StageChangeRow
        query = (
            select(change.campaign, func.count())
            .where(change.to_stage == "sql", change.changed_at >= week[0], change.changed_at < week[1])
            .group_by(change.campaign)
        )
        return {campaign: int(count) for campaign, count in self._session.execute(query)}

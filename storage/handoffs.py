"""Stage changes, handoffs and the (append-only) decisions taken on them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from scoring.facts import RETURNS_TO_NURTURE
from scoring.stages import Transition
from scoring.types import Decision, HandoffStatus, Score
from storage.bulk import insert_rows
from storage.sql import chunked
from storage.tables import DecisionRow, HandoffRow, HandoffSignalRow, OutboxRow, StageChangeRow, table

_IDS_PER_STATEMENT = 10_000  # a replayed chunk may replace many rows: SQLite takes 32,766 parameters
_changes = table(StageChangeRow)
_handoffs = table(HandoffRow)
_decisions = table(DecisionRow)
_signals = table(HandoffSignalRow)
_outbox = table(OutboxRow)


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """A stored stage change as a replay compares it: its id, the key of the move it records, and
    when Handoff first recorded that move."""

    id: int
    key: tuple[datetime, str, str, str, float]  # changed_at, from_stage, to_stage, cause, score
    recorded_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredHandoff:
    """A handoff as a replay sees it: a fact (its card was posted, or may have been, or it was
    decided) is kept whatever the events now say; any other is derived and may be replaced."""

    id: int
    stage_change_id: int
    created_at: datetime
    status: HandoffStatus
    is_fact: bool


@dataclass(frozen=True, slots=True)
class NewHandoff:
    """A handoff to open for an SQL move, on the stage change that records it."""

    lead_id: int
    stage_change_id: int
    trigger: str
    score: Score
    status: HandoffStatus
    created_at: datetime
    sla_due_at: datetime
    episode: int
    earlier: dict[str, Any] | None
    campaign: str | None
    placed: Placement | None = None


@dataclass(frozen=True, slots=True)
class Placement:
    """Where routing put a new card: its channel, the rep who holds it, the team and route that
    chose them, and when it escalates (in the team's working time)."""

    channel: str | None
    assignee: str | None
    team: str | None
    route: str | None
    escalation_due_at: datetime | None
    cause: str | None = None  # how the assignee was chosen: by turn in a team, or as account owner


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A rep's decision on a handoff."""

    action: Decision
    reason: str | None
    note: str | None
    recycle_until: datetime | None
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True, slots=True)
class HandoffRecord:
    """A handoff card's state, with its decision once taken."""

    id: int
    lead_id: int
    trigger: str
    status: HandoffStatus
    channel: str | None
    message_ts: str | None
    created_at: datetime
    sla_due_at: datetime
    decided_at: datetime | None
    decision: DecisionRecord | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    episode: int = 1
    earlier: dict[str, Any] | None = None  # the decision before it, for a returning lead
    assignee: str | None = None  # the rep who holds it (None: anyone in its channel)
    team: str | None = None
    route: str | None = None
    escalation_due_at: datetime | None = None
    score: float = 0.0  # the score when it became an SQL


@dataclass(frozen=True, slots=True)
class StageChangeRecord:
    """A lead's move between stages, with the score as it was, its cause and when it was written."""

    from_stage: str
    to_stage: str
    reason: str
    score: float
    changed_at: datetime
    cause: str = "score"
    recorded_at: datetime | None = None
    trigger_event_id: str | None = None
    campaign: str | None = None


def _change_row(lead_id: int, transition: Transition, score: Score) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "from_stage": transition.from_stage.value,
        "to_stage": transition.to_stage.value,
        "reason": transition.reason,
        "score": score.total,
        "fit": score.fit,
        "engagement": score.engagement,
        "explanation": score.as_dict(),
        "changed_at": score.at,
    }


class HandoffRepository:
    """Stage changes, handoffs and decisions inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_stage_changes(self, rows: list[dict[str, Any]]) -> list[int]:
        """Append stage changes (rows of the ``stage_changes`` columns) in one statement; returns
        their ids in the order of ``rows``."""
        if not rows:
            return []
        return insert_rows(self._session, _changes, rows, ids=True)

    def delete_stage_changes(self, ids: list[int]) -> None:
        """Remove stage changes a replay no longer derives."""
        for batch in chunked(ids, _IDS_PER_STATEMENT):
            self._session.execute(delete(_changes).where(_changes.c.id.in_(batch)))

    def repoint(self, handoff_id: int, *, stage_change_id: int, episode: int) -> None:
        """Attach a kept handoff to the stage change its episode now has."""
        statement = update(_handoffs).where(_handoffs.c.id == handoff_id)
        self._session.execute(statement.values(stage_change_id=stage_change_id, episode=episode))

    def delete_handoffs(self, ids: list[int]) -> None:
        """Remove derived handoffs a replay replaces (their unsent outbox entries go with them)."""
        for batch in chunked(ids, _IDS_PER_STATEMENT):
            self._session.execute(delete(_outbox).where(_outbox.c.handoff_id.in_(batch)))
            self._session.execute(delete(_handoffs).where(_handoffs.c.id.in_(batch)))

    def latest_with_status(self, lead_id: int, status: HandoffStatus) -> int | None:
        """The id of the lead's latest handoff in ``status``, if any."""
        query = (
            select(_handoffs.c.id)
            .where(_handoffs.c.lead_id == lead_id, _handoffs.c.status == status)
            .order_by(_handoffs.c.created_at.desc(), _handoffs.c.id.desc())
            .limit(1)
        )
        found = self._session.execute(query).scalar()
        return int(found) if found is not None else None

    def recorded_since(self, lead_ids: list[int], *, since: datetime) -> Counter[str]:
        """Stage changes recorded for ``lead_ids`` since ``since``, by the stage reached; a return to
        nurture (a cool-off ended, a recycle date, an SQL kept as history) as ``nurture``, so that
        ``mql`` counts what the digest counts as new MQLs."""
        counts: Counter[str] = Counter()
        key = case((_changes.c.cause.in_(RETURNS_TO_NURTURE), literal("nurture")), else_=_changes.c.to_stage)
        for batch in chunked(lead_ids, 500):
            query = (
                select(key, func.count())
                .where(_changes.c.lead_id.in_(batch), _changes.c.recorded_at >= since)
                .group_by(key)
            )
            counts.update({row[0]: row[1] for row in self._session.execute(query)})
        return counts

    def record_stage_change(self, *, lead_id: int, transition: Transition, score: Score) -> int:
        """Append a stage change with the score's explanation as it was; returns its id."""
        statement = insert(_changes).values(_change_row(lead_id, transition, score)).returning(_changes.c.id)
        return int(self._session.execute(statement).scalar_one())

    def record_stage_changes(self, changes: list[tuple[int, Transition, Score]]) -> None:
        """Append several stage changes in one statement (lead id, transition, score)."""
        if changes:
            self._session.execute(insert(_changes), [_change_row(*change) for change in changes])

    def open_handoffs(self, handoffs: Sequence[NewHandoff]) -> list[int]:
        """Open handoffs for new SQLs (status HISTORY for one that qualified too long ago for a card),
        each with the rules behind its score, in one statement each; returns their ids in order."""
        if not handoffs:
            return []
        rows = [
            {
                "lead_id": handoff.lead_id,
                "stage_change_id": handoff.stage_change_id,
                "trigger": handoff.trigger,
                "status": handoff.status,
                "created_at": handoff.created_at,
                "sla_due_at": handoff.sla_due_at,
                "score": handoff.score.total,
                "episode": handoff.episode,
                "earlier": handoff.earlier,
                "campaign": handoff.campaign,
                **_placement_columns(handoff.placed),
            }
            for handoff in handoffs
        ]
        ids = insert_rows(self._session, _handoffs, rows, ids=True)
        signals = [
            {"handoff_id": handoff_id, "rule_id": c.rule_id, "points": c.points}
            for handoff_id, handoff in zip(ids, handoffs, strict=True)
            for c in handoff.score.contributions
            if c.points != 0
        ]
        insert_rows(self._session, _signals, signals)
        return ids

    def close_if_open(self, *, handoff_id: int, status: HandoffStatus, at: datetime) -> bool:
        """Close an open handoff; False if someone else already decided it (first decision wins)."""
        statement = (
            update(_handoffs)
            .where(_handoffs.c.id == handoff_id, _handoffs.c.status == HandoffStatus.OPEN)
            .values(status=status, decided_at=at)
        )
        return bool(self._session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]

    def add_decision(
        self, *, handoff_id: int, lead_id: int, decision: DecisionRecord, opened_at: datetime
    ) -> None:
        """Append a decision (the table is never updated)."""
        values = {
            "seconds_to_decide": max(0.0, (decision.decided_at - opened_at).total_seconds()),
            "handoff_id": handoff_id,
            "lead_id": lead_id,
            "action": decision.action,
            "reason": decision.reason,
            "note": decision.note,
            "recycle_until": decision.recycle_until,
            "decided_by": decision.decided_by,
            "decided_at": decision.decided_at,
        }
        self._session.execute(insert(_decisions).values(values))

    def claim_overdue(
        self, *, column: str, due_before: datetime, at: datetime, own_due_before: datetime | None = None
    ) -> list[int]:
        """Mark open handoffs due before ``due_before`` as followed up (``reminded_at`` or ``escalated_at``)
        and return their ids; a handoff is claimed once, whoever runs the scan. With
        ``own_due_before``, a handoff with its own escalation time (routing: working time) is due
        by that instead."""
        marker = _handoffs.c[column]
        due = _handoffs.c.sla_due_at <= due_before
        if own_due_before is not None:
            own = _handoffs.c.escalation_due_at
            due = or_(and_(own.is_(None), due), own <= own_due_before)
        statement = (
            update(_handoffs)
            .where(_handoffs.c.status == HandoffStatus.OPEN, marker.is_(None), due)
            .values({column: at})
            .returning(_handoffs.c.id)
        )
        return sorted(self._session.execute(statement).scalars())

    def open_for_home(self, *, limit: int) -> list[HandoffRecord]:
        """Handoffs waiting for a decision, oldest first."""
        return self._select(_handoffs.c.status == HandoffStatus.OPEN, limit=limit)

    def open_assigned_to(self, user_id: str, *, limit: int) -> list[HandoffRecord]:
        """The handoffs waiting for ``user_id``'s decision, oldest first."""
        condition = and_(_handoffs.c.status == HandoffStatus.OPEN, _handoffs.c.assignee == user_id)
        return self._select(condition, limit=limit)

    def decided_by(self, user_id: str, *, limit: int) -> list[HandoffRecord]:
        """A rep's latest decisions, newest first."""
        return self._select(_decisions.c.decided_by == user_id, limit=limit, newest_first=True)

    def record_delivery(self, *, handoff_id: int, channel: str, message_ts: str) -> None:
        """Remember where the handoff card was posted."""
        statement = update(_handoffs).where(_handoffs.c.id == handoff_id)
        self._session.execute(statement.values(channel=channel, message_ts=message_ts))

    def get(self, handoff_id: int) -> HandoffRecord | None:
        """One handoff with its decision."""
        found = self._select(_handoffs.c.id == handoff_id)
        return found[0] if found else None

    def for_lead(self, lead_id: int) -> list[HandoffRecord]:
        """A lead's handoffs, oldest first, each with its decision."""
        return self._select(_handoffs.c.lead_id == lead_id)

    def trigger_of(self, handoff_id: int) -> tuple[str | None, str | None]:
        """The event that made a handoff's SQL (its ``event_id``) and that event's campaign."""
        query = (
            select(_changes.c.trigger_event_id, _handoffs.c.campaign, _changes.c.campaign)
            .join(_changes, _changes.c.id == _handoffs.c.stage_change_id)
            .where(_handoffs.c.id == handoff_id)
        )
        row = self._session.execute(query).first()
        if row is None:
            return None, None
        return row[0], row[1] or row[2]

    def stage_changes(self, lead_id: int) -> list[StageChangeRecord]:
        """A lead's stage history, oldest first."""
        query = (
            select(
                _changes.c.from_stage,
                _changes.c.to_stage,
                _changes.c.reason,
                _changes.c.score,
                _changes.c.changed_at,
                _changes.c.cause,
                _changes.c.recorded_at,
                _changes.c.trigger_event_id,
                _changes.c.campaign,
            )
            .where(_changes.c.lead_id == lead_id)
            .order_by(_changes.c.changed_at, _changes.c.id)
        )
        return [StageChangeRecord(*row) for row in self._session.execute(query)]

    def _select(
        self, condition: Any, *, limit: int | None = None, newest_first: bool = False
    ) -> list[HandoffRecord]:
        decision_columns = [
            _decisions.c.action,
            _decisions.c.reason,
            _decisions.c.note,
            _decisions.c.recycle_until,
            _decisions.c.decided_by,
            _decisions.c.decided_at,
        ]
        query = (
            select(
                _handoffs.c.id,
                _handoffs.c.lead_id,
                _handoffs.c.trigger,
                _handoffs.c.status,
                _handoffs.c.channel,
                _handoffs.c.message_ts,
                _handoffs.c.created_at,
                _handoffs.c.sla_due_at,
                _handoffs.c.decided_at,
                _handoffs.c.reminded_at,
                _handoffs.c.escalated_at,
                _handoffs.c.episode,
                _handoffs.c.earlier,
                _handoffs.c.assignee,
                _handoffs.c.team,
                _handoffs.c.route,
                _handoffs.c.escalation_due_at,
                _handoffs.c.score,
                *decision_columns,
            )
            .outerjoin(_decisions, _decisions.c.handoff_id == _handoffs.c.id)
            .where(condition)
        )
        if newest_first:
            query = query.order_by(_decisions.c.decided_at.desc(), _handoffs.c.id.desc())
        else:
            query = query.order_by(_handoffs.c.created_at, _handoffs.c.id)
        if limit is not None:
            query = query.limit(limit)
        records = []
        for row in self._session.execute(query):
            decision = None
            if row.action is not None:
                decision = DecisionRecord(
                    Decision(row.action),
                    row.reason,
                    row.note,
                    row.recycle_until,
                    row.decided_by,
                    row.decided_at,
                )
            records.append(
                HandoffRecord(
                    id=row.id,
                    lead_id=row.lead_id,
                    trigger=row.trigger,
                    status=HandoffStatus(row.status),
                    channel=row.channel,
                    message_ts=row.message_ts,
                    created_at=row.created_at,
                    sla_due_at=row.sla_due_at,
                    decided_at=row.decided_at,
                    decision=decision,
                    reminded_at=row.reminded_at,
                    escalated_at=row.escalated_at,
                    episode=row.episode,
                    earlier=row.earlier,
                    assignee=row.assignee,
                    team=row.team,
                    route=row.route,
                    escalation_due_at=row.escalation_due_at,
                    score=row.score,
                )
            )
        return records


def _placement_columns(placed: Placement | None) -> dict[str, Any]:
    if placed is None:  # every row of one INSERT names the same columns
        return dict.fromkeys(("assignee", "team", "route", "escalation_due_at"))
    # The channel is recorded once the card is posted there (its outbox entry carries it till then).
    return {
        "assignee": placed.assignee,
        "team": placed.team,
        "route": placed.route,
        "escalation_due_at": placed.escalation_due_at,
    }

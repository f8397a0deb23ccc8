"""Routing's state: the turns of each team, reps away, account owners, and who holds each handoff."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from scoring.types import HandoffStatus
from storage.sql import upsert_into
from storage.tables import (
    AccountOwnerRow,
    AssignmentRow,
    HandoffRow,
    RepStatusRow,
    RepTurnRow,
    table,
)

_turns = table(RepTurnRow)
_status = table(RepStatusRow)
_owners = table(AccountOwnerRow)
_assignments = table(AssignmentRow)
_handoffs = table(HandoffRow)


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    """One change of hands: who took the handoff from whom, why, and who did it."""

    handoff_id: int
    assignee: str
    previous: str | None
    cause: str
    by_user: str | None
    reason: str | None
    at: datetime


class AssignmentRepository:
    """Reads and writes routing's state inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def lock_turns(self, team: str, *, members: Sequence[str]) -> dict[str, int]:
        """The turns each rep of ``team`` has had, locked until commit on PostgreSQL (SQLite has one
        writer at a time), so replicas assigning at once take turns one after the other."""
        rows = [{"team": team, "user_id": user, "turns": 0} for user in members]
        # Every member gets a row first: FOR UPDATE locks rows, and a missing row locks nothing.
        self._session.execute(upsert_into(self._session, _turns).values(rows).on_conflict_do_nothing())
        query = select(_turns.c.user_id, _turns.c.turns).where(_turns.c.team == team)
        if self._dialect() == "postgresql":
            query = query.with_for_update()
        return {str(user): int(turns) for user, turns in self._session.execute(query)}

    def add_turn(self, *, team: str, user_id: str) -> None:
        """Count one more turn for ``user_id`` in ``team``."""
        statement = upsert_into(self._session, _turns).values(team=team, user_id=user_id, turns=1)
        statement = statement.on_conflict_do_update(
            index_elements=["team", "user_id"], set_={"turns": _turns.c.turns + 1}
        )
        self._session.execute(statement)

    def away_until(self, user_ids: Iterable[str], *, now: datetime) -> dict[str, datetime]:
        """The reps of ``user_ids`` who are away at ``now``, with when they are back."""
        query = select(_status.c.user_id, _status.c.away_until).where(
            _status.c.user_id.in_(sorted(set(user_ids))), _status.c.away_until > now
        )
        return {str(user): until for user, until in self._session.execute(query)}

    def set_away(self, *, user_id: str, until: datetime | None, now: datetime) -> None:
        """Mark ``user_id`` away until ``until`` (None: back now)."""
        statement = upsert_into(self._session, _status).values(
            user_id=user_id, away_until=until, updated_at=now
        )
        statement = statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"away_until": until, "updated_at": now}
        )
        self._session.execute(statement)

    def open_counts(self, user_ids: Iterable[str]) -> dict[str, int]:
        """How many open handoffs each of ``user_ids`` holds."""
        query = (
            select(_handoffs.c.assignee, func.count())
            .where(_handoffs.c.assignee.in_(sorted(set(user_ids))), _handoffs.c.status == HandoffStatus.OPEN)
            .group_by(_handoffs.c.assignee)
        )
        return {str(user): int(count) for user, count in self._session.execute(query)}

    def owner_of(self, domain: str) -> str | None:
        """The owner of the account with email domain ``domain``."""
        query = select(_owners.c.owner).where(_owners.c.domain == domain.lower())
        return self._session.execute(query).scalar_one_or_none()

    def put_owners(self, owners: Sequence[tuple[str, str]], *, now: datetime) -> None:
        """Store (domain, owner) pairs, replacing a domain's earlier owner."""
        for domain, owner in owners:
            statement = upsert_into(self._session, _owners).values(
                domain=domain.lower(), owner=owner, updated_at=now
            )
            statement = statement.on_conflict_do_update(
                index_elements=["domain"], set_={"owner": owner, "updated_at": now}
            )
            self._session.execute(statement)

    def count_owners(self) -> int:
        """How many accounts have an owner."""
        return int(self._session.execute(select(func.count()).select_from(_owners)).scalar_one())

    def holder(self, handoff_id: int) -> str | None:
        """Who holds ``handoff_id`` now."""
        query = select(_handoffs.c.assignee).where(_handoffs.c.id == handoff_id)
        return self._session.execute(query).scalar_one_or_none()

    def hand_over(self, record: AssignmentRecord) -> bool:
        """Give an open handoff to ``record.assignee`` if ``record.previous`` still holds it, and
        record the change; False when it is decided or someone else took it first."""
        statement = (
            update(_handoffs)
            .where(
                _handoffs.c.id == record.handoff_id,
                _handoffs.c.status == HandoffStatus.OPEN,
                _handoffs.c.assignee.is_(None)
                if record.previous is None
                else _handoffs.c.assignee == record.previous,
            )
            .values(assignee=record.assignee)
        )
        if self._session.execute(statement).rowcount != 1:  # type: ignore[attr-defined]
            return False
        self.record(record)
        return True

    def record(self, record: AssignmentRecord) -> None:
        """Append one change of hands to the log."""
        self._session.execute(
            _assignments.insert().values(
                handoff_id=record.handoff_id,
                assignee=record.assignee,
                previous=record.previous,
                cause=record.cause,
                by_user=record.by_user,
                reason=record.reason,
                at=record.at,
            )
        )

    def history(self, handoff_id: int) -> list[AssignmentRecord]:
        """Every change of hands of a handoff, oldest first."""
        query = (
            select(
                _assignments.c.handoff_id,
                _assignments.c.assignee,
                _assignments.c.previous,
                _assignments.c.cause,
                _assignments.c.by_user,
                _assignments.c.reason,
                _assignments.c.at,
            )
            .where(_assignments.c.handoff_id == handoff_id)
            .order_by(_assignments.c.id)
        )
        return [AssignmentRecord(*row) for row in self._session.execute(query)]

    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

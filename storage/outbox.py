"""The outbox: Slack messages owed, written in the same transaction as the change that owes them.

Delivery claims one entry at a time with a lease. ``FOR UPDATE SKIP LOCKED`` lets several replicas
share the outbox on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises claims. An entry whose lease
ran out was being sent when its worker died: its outcome is unknown and ``in_doubt`` says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from storage.tables import OutboxRow, table

_outbox = table(OutboxRow)

HANDOFF_CARD = "handoff_card"
CARD_UPDATE = "card_update"
THREAD_NOTE = "thread_note"
SLA_REMINDER = "sla_reminder"
SLA_ESCALATION = "sla_escalation"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A claimed entry, ready to deliver."""

    id: int
    kind: str
    handoff_id: int | None
    channel: str | None
    payload: dict[str, Any]
    attempts: int
    in_doubt: bool


class OutboxRepository:
    """Adds, claims and settles outbox entries inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        kind: str,
        at: datetime,
        handoff_id: int | None = None,
        channel: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Queue a message for delivery; returns the entry's id."""
        values = {
            "kind": kind,
            "handoff_id": handoff_id,
            "channel": channel,
            "payload": payload or {},
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        return int(self._session.execute(insert(_outbox).values(values).returning(_outbox.c.id)).scalar_one())

    def claim_next(self, *, now: datetime, lease: timedelta) -> OutboxEntry | None:
        """Claim the oldest due entry for ``lease``; None when nothing is due."""
        query = (
            select(_outbox)
            .where(
                _outbox.c.status == "pending",
                _outbox.c.next_attempt_at <= now,
                or_(_outbox.c.claimed_until.is_(None), _outbox.c.claimed_until < now),
            )
            .order_by(_outbox.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = self._session.execute(query).first()
        if row is None:
            return None
        self._session.execute(
            update(_outbox)
            .where(_outbox.c.id == row.id)
            .values(claimed_until=now + lease, attempts=_outbox.c.attempts + 1)
        )
        return OutboxEntry(
            id=row.id,
            kind=row.kind,
            handoff_id=row.handoff_id,
            channel=row.channel,
            payload=row.payload or {},
            attempts=row.attempts + 1,
            in_doubt=row.claimed_until is not None,
        )

    def mark_sent(self, entry_id: int, *, at: datetime) -> None:
        """The message is in Slack."""
        self._settle(entry_id, status="sent", sent_at=at, last_error=None)

    def retry_later(self, entry_id: int, *, at: datetime, error: str) -> None:
        """A passing failure: try again at ``at``."""
        self._settle(entry_id, status="pending", next_attempt_at=at, last_error=error)

    def park(self, entry_id: int, *, error: str) -> None:
        """A failure that needs a person (bot not in the channel, bad token…): keep it with its error."""
        self._settle(entry_id, status="parked", last_error=error)

    def unpark_all(self, *, now: datetime) -> int:
        """Give every parked entry another chance (``handoff serve`` does this at start)."""
        statement = (
            update(_outbox)
            .where(_outbox.c.status == "parked")
            .values(status="pending", next_attempt_at=now, attempts=0)
        )
        return int(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def count_by_status(self) -> dict[str, int]:
        """How many entries are pending, sent or parked."""
        query = select(_outbox.c.status, func.count()).group_by(_outbox.c.status)
        return {status: count for status, count in self._session.execute(query).all()}  # noqa: C416 (Result has keys())

    def _settle(self, entry_id: int, **values: Any) -> None:
        self._session.execute(
            update(_outbox).where(_outbox.c.id == entry_id).values(claimed_until=None, **values)
        )

"""The outbox: Slack messages owed, written in the same transaction as the change that owes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from storage.tables import OutboxRow, table

_outbox = table(OutboxRow)

HANDOFF_CARD = "handoff_card"


class OutboxRepository:
    """Adds and counts outbox entries inside the caller's session; never commits."""

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

    def count_by_status(self) -> dict[str, int]:
        """How many entries are pending, sent or parked."""
        query = select(_outbox.c.status, func.count()).group_by(_outbox.c.status)
        return {key: count for key, count in self._session.execute(query).all()}  # noqa: C416 (Result has keys())

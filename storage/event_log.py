"""The event log: every engagement event once, keyed by its ``event_id``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.bulk import insert_ignoring_conflicts
from storage.sql import chunked
from storage.tables import EventRow, table

_events = table(EventRow)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: what happened, when, and the rule that scored it."""

    event_id: str
    type: str
    occurred_at: datetime
    properties: dict[str, Any]
    rule_id: str | None


class EventRepository:
    """Reads and appends events inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def existing_ids(self, event_ids: Sequence[str]) -> set[str]:
        """Which of ``event_ids`` are already stored."""
        found: set[str] = set()
        for batch in chunked(event_ids, 900):
            query = select(_events.c.event_id).where(_events.c.event_id.in_(batch))
            found.update(self._session.execute(query).scalars())
        return found

    def add_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append events (keys: event_id, lead_id, type, occurred_at, properties, rule_id, received_at)."""
        insert_ignoring_conflicts(self._session, _events, rows, ["event_id"])

    def recent(self, lead_id: int, *, limit: int = 10) -> list[StoredEvent]:
        """A lead's latest events, newest first."""
        query = (
            select(
                _events.c.event_id,
                _events.c.type,
                _events.c.occurred_at,
                _events.c.properties,
                _events.c.rule_id,
            )
            .where(_events.c.lead_id == lead_id)
            .order_by(_events.c.occurred_at.desc(), _events.c.id.desc())
            .limit(limit)
        )
        return [StoredEvent(*row) for row in self._session.execute(query)]

    def count(self, lead_id: int | None = None) -> int:
        """How many events are stored (for one lead, or in all)."""
        query = select(func.count()).select_from(_events)
        if lead_id is not None:
            query = query.where(_events.c.lead_id == lead_id)
        return int(self._session.execute(query).scalar_one())

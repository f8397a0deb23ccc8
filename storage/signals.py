"""Lead signals: what the lifecycle noticed besides stage changes, each stored once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.sql import chunked, upsert_into
from storage.tables import LeadSignalRow, table

_signals = table(LeadSignalRow)
HAND_RAISE_BELOW_FIT = "hand_raise_below_fit"


@dataclass(frozen=True, slots=True)
class StoredSignal:
    """A signal as stored."""

    kind: str
    at: datetime
    detail: str
    event_id: str
    owner: str | None


class SignalRepository:
    """Adds and reads lead signals inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add_new(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Store the signals not stored yet (a replay derives them again), all in one statement;
        returns those that were new (the first of any given twice)."""
        given: dict[tuple[Any, ...], dict[str, Any]] = {}
        for row in rows:
            given.setdefault((row["lead_id"], row["kind"], row["event_id"]), row)
        if not given:
            return []
        statement = (
            upsert_into(self._session, _signals)
            .on_conflict_do_nothing(index_elements=["lead_id", "kind", "event_id"])
            .returning(_signals.c.lead_id, _signals.c.kind, _signals.c.event_id)
        )
        stored = {tuple(key) for key in self._session.execute(statement, list(given.values()))}
        return [row for key, row in given.items() if key in stored]

    def for_lead(self, lead_id: int, *, since: datetime | None = None) -> list[StoredSignal]:
        """A lead's signals, oldest first (those at or after ``since`` when given)."""
        query = select(
            _signals.c.kind, _signals.c.at, _signals.c.detail, _signals.c.event_id, _signals.c.owner
        ).where(_signals.c.lead_id == lead_id)
        if since is not None:
            query = query.where(_signals.c.at >= since)
        return [
            StoredSignal(*row) for row in self._session.execute(query.order_by(_signals.c.at, _signals.c.id))
        ]

    def count_recorded_since(self, lead_ids: list[int], *, kind: str, since: datetime) -> int:
        """How many ``kind`` signals were recorded for ``lead_ids`` since ``since``."""
        total = 0
        for batch in chunked(lead_ids, 500):
            query = select(func.count()).where(
                _signals.c.lead_id.in_(batch), _signals.c.kind == kind, _signals.c.recorded_at >= since
            )
            total += int(self._session.execute(query).scalar_one())
        return total

"""The scorer's read of the event log on SQLite, at the driver's level.

SQLAlchemy's rows and result processors cost more than SQLite's own work for the hundreds of
thousands of events a backlog's chunks read; the same values are decoded here as its JSON and
``UTCDateTime`` types decode them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy.orm import Session

from storage.tables import sqlite_datetime

_AFTER = (
    "SELECT id, lead_id, event_id, type, occurred_at, properties, profile FROM events"
    " WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"
)


class LoggedEvent(NamedTuple):
    """An event as the scorer reads it from the log (a tuple: the scorer reads thousands at once)."""

    id: int
    lead_id: int
    event_id: str
    type: str
    occurred_at: datetime
    properties: dict[str, Any]
    profile: dict[str, Any] | None


def sqlite_events_after(session: Session, checkpoint: int, *, upto: int, limit: int) -> list[LoggedEvent]:
    """``EventRepository.after`` on SQLite."""
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        rows = cursor.execute(_AFTER, (checkpoint, upto, limit)).fetchall()
    finally:
        cursor.close()
    loads, moment, make = orjson.loads, sqlite_datetime, LoggedEvent._make
    return [
        make((row_id, lead, event_id, kind, moment(at), loads(properties), _json(profile)))
        for row_id, lead, event_id, kind, at, properties, profile in rows
    ]


def _json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)

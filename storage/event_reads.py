"""The scorer's read of the event log, at the driver's level.

SQLAlchemy's rows and result processors cost more than the database's own work for the hundreds of
thousands of events a backlog's window reads; the same values are decoded here as its JSON and
``UTCDateTime`` types decode them (PostgreSQL's driver gives timezone-aware datetimes itself).
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
_AFTER_POSTGRES = (  # JSON as text: decoded below, faster than the driver's own loader
    "SELECT id, lead_id, event_id, type, occurred_at, properties::text, profile::text FROM events"
    " WHERE id > %s AND id <= %s ORDER BY id LIMIT %s"
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


def events_after(session: Session, checkpoint: int, *, upto: int, limit: int) -> list[LoggedEvent]:
    """``EventRepository.after``."""
    postgres = session.get_bind().dialect.name == "postgresql"
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(_AFTER_POSTGRES if postgres else _AFTER, (checkpoint, upto, limit))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    loads, moment, make = orjson.loads, _as_given if postgres else sqlite_datetime, LoggedEvent._make
    return [
        make((row_id, lead, event_id, kind, moment(at), loads(properties), _json(profile)))
        for row_id, lead, event_id, kind, at, properties, profile in rows
    ]


def _as_given(value: Any) -> Any:
    return value


def _json(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)

"""The event log: every engagement event once, keyed by its ``event_id``, in the order it arrived.

Ingestion only appends; the scorer reads the log from its checkpoint. On PostgreSQL, ids are taken
when rows are inserted but seen when their transaction commits, so a later id may be visible
before an earlier one: appends hold a shared advisory lock, and the scorer takes the horizon (the
highest id it may read) under the same lock held exclusively, so every id below it is committed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from psycopg.errors import UniqueViolation
from sqlalchemy import func, make_url, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from storage.bulk import copy_values, dialect_value_writer, insert_values
from storage.event_reads import LoggedEvent, events_after
from storage.tables import EventRow, table

_events = table(EventRow)
# Any fixed 64-bit number: appends hold it shared, the scorer's horizon exclusively.
HORIZON_LOCK_KEY = 0x68616E646F6667
LOGGED_COLUMNS = (
    _events.c.id,
    _events.c.lead_id,
    _events.c.event_id,
    _events.c.type,
    _events.c.occurred_at,
    _events.c.properties,
    _events.c.profile,
)
APPENDED = ("event_id", "lead_id", "type", "occurred_at", "properties", "profile", "rule_id", "received_at")
ReadyEvent = tuple[str, str, str, Any, Any, Any]
"""An event as the database driver takes it: event_id, email, type, and occurred_at, properties and
profile converted by :class:`EventValues`."""
_DRIVERS = {"sqlite": "sqlite://", "postgresql": "postgresql+psycopg://"}


class EventValues:
    """An event's values as one dialect's driver takes them. Built from the dialect's name, so a
    worker process can prepare events for the process that stores them."""

    def __init__(self, dialect_name: str) -> None:
        dialect = make_url(_DRIVERS[dialect_name]).get_dialect()()
        self._moment = dialect_value_writer(dialect, _events.c.occurred_at)
        self._properties = dialect_value_writer(dialect, _events.c.properties)
        self._profile = dialect_value_writer(dialect, _events.c.profile)

    def __call__(
        self,
        event_id: str,
        email: str,
        kind: str,
        occurred_at: datetime,
        properties: dict[str, Any],
        profile: dict[str, Any] | None,
    ) -> ReadyEvent:
        """The event ready for the driver (ValueError: a value the database could not keep)."""
        return (
            event_id,
            email,
            kind,
            self._moment(occurred_at),
            self._properties(properties),
            self._profile(profile),
        )

    def moment(self, at: datetime) -> Any:
        """A time as the driver takes it."""
        return self._moment(at)


@cache
def event_values(dialect_name: str) -> EventValues:
    """The :class:`EventValues` of a dialect (``sqlite`` or ``postgresql``), made once."""
    return EventValues(dialect_name)


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

    @property
    def values(self) -> EventValues:
        """How this database's driver takes an event's values."""
        return event_values(self._session.get_bind().dialect.name)

    def append(self, events: Sequence[ReadyEvent], *, lead_ids: Mapping[str, int], received_at: Any) -> int:
        """Append the events not stored yet (each event_id once), each under the id ``lead_ids``
        gives its email; returns how many were new. ``received_at``: as the driver takes it."""
        ready = [
            (event_id, lead_ids[email], kind, at, properties, profile, None, received_at)
            for event_id, email, kind, at, properties, profile in events
        ]
        if not self._postgres:
            return insert_values(self._session, _events, APPENDED, ready, ["event_id"])
        self._session.execute(text("SELECT pg_advisory_xact_lock_shared(:key)"), {"key": HORIZON_LOCK_KEY})
        try:
            with self._session.begin_nested():
                copy_values(self._session, _events, APPENDED, ready)
        except UniqueViolation:  # some are stored already: a re-send, or another process was first
            return insert_values(self._session, _events, APPENDED, ready, ["event_id"])
        return len(ready)

    def horizon(self, *, wait_seconds: float) -> int | None:
        """The highest event id below which every append has committed; None if appends held the
        lock longer than ``wait_seconds`` (try again later). Run it in a transaction of its own."""
        if self._postgres:
            self._session.execute(text(f"SET LOCAL lock_timeout = '{int(wait_seconds * 1000)}ms'"))
            try:
                self._session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": HORIZON_LOCK_KEY})
            except OperationalError:
                return None
        return self.last_id()

    def last_id(self) -> int:
        """The highest event id stored (0 for an empty log)."""
        return int(self._session.execute(select(func.coalesce(func.max(_events.c.id), 0))).scalar_one())

    def after(self, checkpoint: int, *, upto: int, limit: int) -> list[LoggedEvent]:
        """Events with ``checkpoint`` < id ≤ ``upto``, oldest id first, at most ``limit``."""
        return events_after(self._session, checkpoint, upto=upto, limit=limit)

    def of_lead(self, lead_id: int, *, upto: int) -> list[LoggedEvent]:
        """A lead's events with id ≤ ``upto`` (what the scorer has reached), in event time."""
        query = (
            select(*LOGGED_COLUMNS)
            .where(_events.c.lead_id == lead_id, _events.c.id <= upto)
            .order_by(_events.c.occurred_at, _events.c.event_id)
        )
        return list(map(LoggedEvent._make, self._session.execute(query)))

    @property
    def _postgres(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

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

    def by_event_id(self, event_id: str) -> StoredEvent | None:
        """One stored event by its ``event_id``."""
        query = select(
            _events.c.event_id, _events.c.type, _events.c.occurred_at, _events.c.properties, _events.c.rule_id
        ).where(_events.c.event_id == event_id)
        row = self._session.execute(query).first()
        return StoredEvent(*row) if row else None

    def count(self, lead_id: int | None = None) -> int:
        """How many events are stored (for one lead, or in all)."""
        query = select(func.count()).select_from(_events)
        if lead_id is not None:
            query = query.where(_events.c.lead_id == lead_id)
        return int(self._session.execute(query).scalar_one())

"""Leads the scorer could not store: kept aside with the database's reason, retried by replay."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from storage.tables import ScorerQuarantineRow, table

_quarantine = table(ScorerQuarantineRow)


@dataclass(frozen=True, slots=True)
class Quarantined:
    """Since when a lead could not be stored, the last reason, and how many tries failed."""

    since: datetime
    error: str
    attempts: int


class QuarantineRepository:
    """Reads and writes the quarantine inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def lead_ids(self, *, limit: int | None = None) -> list[int]:
        """Quarantined leads, longest waiting first."""
        query = select(_quarantine.c.lead_id).order_by(_quarantine.c.since, _quarantine.c.lead_id)
        return list(self._session.execute(query.limit(limit)).scalars())

    def put(self, *, lead_id: int, error: str, at: datetime) -> None:
        """Keep the lead aside (again), with the database's reason."""
        statement = update(_quarantine).where(_quarantine.c.lead_id == lead_id)
        changed = self._session.execute(statement.values(error=error, attempts=_quarantine.c.attempts + 1))
        if changed.rowcount == 0:  # type: ignore[attr-defined]
            values = {"lead_id": lead_id, "since": at, "error": error, "attempts": 1}
            self._session.execute(_quarantine.insert().values(values))

    def release(self, lead_ids: Iterable[int]) -> None:
        """The leads were stored at last."""
        wanted = list(lead_ids)
        if wanted:
            self._session.execute(delete(_quarantine).where(_quarantine.c.lead_id.in_(wanted)))

    def of_lead(self, lead_id: int) -> Quarantined | None:
        """The lead's quarantine, if it is in it."""
        columns = (_quarantine.c.since, _quarantine.c.error, _quarantine.c.attempts)
        row = self._session.execute(select(*columns).where(_quarantine.c.lead_id == lead_id)).first()
        return Quarantined(*row) if row else None

    def count(self) -> int:
        """How many leads are in quarantine."""
        return int(self._session.execute(select(func.count()).select_from(_quarantine)).scalar_one())

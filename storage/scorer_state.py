"""The scorer's checkpoint and lease: one scorer at a time, whatever the number of processes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.tables import ScorerStateRow, table

_state = table(ScorerStateRow)
_ROW = _state.c.id == 1


class ScorerStateRepository:
    """Reads and moves the scorer's one row inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def take_lease(self, *, holder: str, now: datetime, lease: timedelta) -> bool:
        """Hold the scorer until ``now + lease`` if nobody else holds it; True when ``holder`` does."""
        statement = (
            update(_state)
            .where(
                _ROW,
                or_(_state.c.holder == holder, _state.c.lease_until.is_(None), _state.c.lease_until < now),
            )
            .values(holder=holder, lease_until=now + lease)
        )
        return bool(self._session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]

    def release(self, *, holder: str) -> None:
        """Let another process score straight away."""
        statement = (
            update(_state).where(_ROW, _state.c.holder == holder).values(holder=None, lease_until=None)
        )
        self._session.execute(statement)

    def checkpoint(self) -> int:
        """The highest event id folded so far."""
        return int(self._session.execute(select(_state.c.checkpoint).where(_ROW)).scalar_one())

    def advance(self, *, to: int, holder: str) -> bool:
        """Move the checkpoint to ``to`` if ``holder`` still holds the lease (else nothing, False)."""
        statement = update(_state).where(_ROW, _state.c.holder == holder).values(checkpoint=to)
        return bool(self._session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]

    def rewind(self) -> None:
        """Start again from the first event (a full re-derivation)."""
        self._session.execute(update(_state).where(_ROW).values(checkpoint=0))

    def model(self) -> tuple[str | None, str | None]:
        """The fingerprint and label of the model every lead was last derived under (None: never
        recorded)."""
        row = self._session.execute(
            select(_state.c.model_fingerprint, _state.c.model_label).where(_ROW)
        ).one()
        return row.model_fingerprint, row.model_label

    def record_model(self, *, fingerprint: str, label: str) -> None:
        """Every lead is now derived under this model."""
        statement = update(_state).where(_ROW).values(model_fingerprint=fingerprint, model_label=label[:120])
        self._session.execute(statement)

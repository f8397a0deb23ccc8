"""The scorer's checkpoint and lease: one scorer at a time, whatever the number of processes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from storage.tables import ScorerStateRow, table

_state = table(ScorerStateRow)


@dataclass(frozen=True)
class Window:
    """Events after the checkpoint up to ``end``, scored lead by lead: leads up to ``lead`` are done."""

    end: int
    lead: int


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
        """Move the checkpoint to ``to`` if ``holder`` still holds the lease (else nothing, False);
        the window being scored, if any, is done."""
        statement = (
            update(_state)
            .where(_ROW, _state.c.holder == holder)
            .values(checkpoint=to, window_end=None, window_lead=None)
        )
        return bool(self._session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]

    def window(self) -> Window | None:
        """The window of the log a pass is part way through, if any."""
        row = self._session.execute(select(_state.c.window_end, _state.c.window_lead).where(_ROW)).one()
        return None if row.window_end is None else Window(end=row.window_end, lead=row.window_lead or 0)

    def mark_window(self, *, end: int, lead: int, holder: str) -> bool:
        """Every lead up to ``lead`` has folded the events up to ``end`` (if ``holder`` still holds
        the lease: else nothing, False)."""
        statement = (
            update(_state).where(_ROW, _state.c.holder == holder).values(window_end=end, window_lead=lead)
        )
        return bool(self._session.execute(statement).rowcount == 1)  # type: ignore[attr-defined]

    def reached(self) -> int:
        """The last event id some lead may have folded: the end of a window part way through, else
        the checkpoint. A replay reads its lead's events up to here (a lead whose state gets events
        a window has not brought it yet is replayed again when the window reaches it)."""
        row = self._session.execute(select(_state.c.checkpoint, _state.c.window_end).where(_ROW)).one()
        return int(max(row.checkpoint, row.window_end or 0))

    def rewind(self) -> None:
        """Start again from the first event (a full re-derivation)."""
        statement = update(_state).where(_ROW).values(checkpoint=0, window_end=None, window_lead=None)
        self._session.execute(statement)

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

"""A rep's own status for routing: away until a moment (no new leads are assigned to them), or back."""

from __future__ import annotations

from datetime import datetime

from storage.uow import UnitOfWork


def set_away(*, uow: UnitOfWork, user_id: str, until: datetime | None, now: datetime) -> None:
    """Mark ``user_id`` away until ``until`` (None: back now)."""
    with uow:
        uow.assignments.set_away(user_id=user_id, until=until, now=now)
        uow.commit()


def away_until(*, uow: UnitOfWork, user_id: str, now: datetime) -> datetime | None:
    """When ``user_id`` is back, if they are away now."""
    with uow:
        return uow.assignments.away_until([user_id], now=now).get(user_id)

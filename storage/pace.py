"""Slack's posting pace per channel, shared by every replica through one row per channel.

A worker takes the channel's next free slot (row lock on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite)
and posts at that time; a 429 pushes the slot past Slack's ``Retry-After`` and doubles the interval,
which then narrows back to the configured rate a little with every post.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.tables import ChannelPaceRow, table

_pace = table(ChannelPaceRow)
RECOVERY = 0.95  # each post narrows a widened interval by 5 % (about 14 posts to halve it)


@dataclass(frozen=True, slots=True)
class Slot:
    """When a post may go; ``taken`` is False when the slot lies beyond the horizon asked for."""

    at: datetime
    taken: bool
    interval_seconds: float


class ChannelPaceRepository:
    """Takes and pushes back posting slots inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def take_slot(self, *, channel: str, now: datetime, min_interval: float, horizon: timedelta) -> Slot:
        """The channel's next slot, taken if it is within ``horizon`` of ``now``."""
        next_slot_at, interval = self._locked(channel, now, min_interval)
        interval = max(interval, min_interval)
        slot = max(now, next_slot_at)
        if slot - now > horizon:
            return Slot(at=slot, taken=False, interval_seconds=interval)
        self._session.execute(
            update(_pace)
            .where(_pace.c.channel == channel)
            .values(
                next_slot_at=slot + timedelta(seconds=interval),
                interval_seconds=max(min_interval, interval * RECOVERY),
            )
        )
        return Slot(at=slot, taken=True, interval_seconds=interval)

    def slow_down(
        self, *, channel: str, now: datetime, wait: timedelta, min_interval: float, max_interval: float
    ) -> float:
        """Slack said 429: post nothing before ``now + wait``, and at half the pace; returns the interval."""
        next_slot_at, interval = self._locked(channel, now, min_interval)
        widened = min(max_interval, max(interval, min_interval) * 2)
        self._session.execute(
            update(_pace)
            .where(_pace.c.channel == channel)
            .values(next_slot_at=max(next_slot_at, now + wait), interval_seconds=widened)
        )
        return widened

    def _locked(self, channel: str, now: datetime, min_interval: float) -> tuple[datetime, float]:
        query = (
            select(_pace.c.next_slot_at, _pace.c.interval_seconds)
            .where(_pace.c.channel == channel)
            .with_for_update()
        )
        row = self._session.execute(query).first()
        if row is not None:
            return row.next_slot_at, float(row.interval_seconds)
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(_pace).values(channel=channel, next_slot_at=now, interval_seconds=min_interval)
                )
        except IntegrityError:
            pass  # another replica created it first: lock theirs
        row = self._session.execute(query).one()
        return row.next_slot_at, float(row.interval_seconds)

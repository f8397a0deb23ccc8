"""Digest claims: one row per (week, channel), inserted before posting so only one replica posts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.tables import DigestRow, table

_digests = table(DigestRow)


class DigestRepository:
    """Claims and completes weekly digests inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, *, week_start: date, channel: str, at: datetime, stale_after: timedelta) -> bool:
        """Claim the week's digest for ``channel``; False if it was posted or another claim is fresh.

        A claim whose poster died (older than ``stale_after`` and never posted) is taken over.
        """
        takeover = (
            update(_digests)
            .where(
                _digests.c.week_start == week_start,
                _digests.c.channel == channel,
                _digests.c.posted_at.is_(None),
                _digests.c.claimed_at < at - stale_after,
            )
            .values(claimed_at=at)
        )
        if self._session.execute(takeover).rowcount:  # type: ignore[attr-defined]
            return True
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(_digests).values(week_start=week_start, channel=channel, claimed_at=at)
                )
        except IntegrityError:
            return False
        return True

    def mark_posted(self, *, week_start: date, channel: str, at: datetime, message_ts: str) -> None:
        """The digest is in Slack."""
        self._session.execute(
            update(_digests)
            .where(_digests.c.week_start == week_start, _digests.c.channel == channel)
            .values(posted_at=at, message_ts=message_ts)
        )

    def release(self, *, week_start: date, channel: str) -> None:
        """Give a claim back after a failed post, so the next run tries again."""
        self._session.execute(
            delete(_digests).where(
                _digests.c.week_start == week_start,
                _digests.c.channel == channel,
                _digests.c.posted_at.is_(None),
            )
        )

    def posted(self, *, week_start: date, channel: str) -> bool:
        """Whether that week's digest was posted to ``channel``."""
        query = select(_digests.c.posted_at).where(
            _digests.c.week_start == week_start, _digests.c.channel == channel
        )
        return self._session.execute(query).scalar_one_or_none() is not None

    def unposted_claim(self, *, week_start: date, channel: str) -> datetime | None:
        """When the week's digest was claimed by a poster that never said it had posted (None if not)."""
        query = select(_digests.c.claimed_at).where(
            _digests.c.week_start == week_start, _digests.c.channel == channel, _digests.c.posted_at.is_(None)
        )
        claimed_at: datetime | None = self._session.execute(query).scalar_one_or_none()
        return claimed_at

"""Admin notices: a problem that needs a person is said once, whichever replica meets it first."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.tables import AdminNoticeRow, table

_notices = table(AdminNoticeRow)


class NoticeRepository:
    """Claims and clears notices inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def claim(self, *, key: str, message: str, at: datetime) -> bool:
        """True for the first caller with ``key`` (it says the notice); False if it was said already."""
        try:
            with self._session.begin_nested():
                self._session.execute(insert(_notices).values(key=key[:200], message=message, created_at=at))
        except IntegrityError:
            return False
        return True

    def clear(self, *, prefixes: list[str]) -> None:
        """The problems under ``prefixes`` are fixed: say them again if they come back."""
        if prefixes:
            self._session.execute(
                delete(_notices).where(or_(*(_notices.c.key.startswith(p) for p in prefixes)))
            )

"""Times as SQLite stores them: the UTC moment in SQLAlchemy's text format, whatever the zone given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from storage.tables import UTCDateTime

ZONES = st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)))
MOMENTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)


@given(MOMENTS)
def test_a_time_is_stored_as_its_utc_moment_with_microseconds(value: datetime) -> None:
    to_sqlite = UTCDateTime().bind_processor(sqlite.dialect())
    utc = value.astimezone(UTC)

    assert to_sqlite is not None
    assert to_sqlite(value) == f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond:06d}"

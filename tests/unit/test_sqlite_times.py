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


@given(MOMENTS)
def test_a_stored_time_reads_back_as_the_same_utc_moment(value: datetime) -> None:
    dialect = sqlite.dialect()
    to_sqlite = UTCDateTime().bind_processor(dialect)
    from_sqlite = UTCDateTime().result_processor(dialect, None)
    assert to_sqlite is not None
    assert from_sqlite is not None

    back = from_sqlite(to_sqlite(value))

    assert back == value
    assert back is not None
    assert back.tzinfo is UTC


def test_a_time_written_in_another_iso_form_reads_as_that_moment_in_utc() -> None:
    from_sqlite = UTCDateTime().result_processor(sqlite.dialect(), None)
    assert from_sqlite is not None

    assert from_sqlite("2026-11-20") == datetime(2026, 11, 20, tzinfo=UTC)
    assert from_sqlite("2026-11-20T10:00:00") == datetime(2026, 11, 20, 10, tzinfo=UTC)
    assert from_sqlite("2026-11-20 10:00:00+00:00") == datetime(2026, 11, 20, 10, tzinfo=UTC)

"""Telling a database error caused by the data written from one caused by the database itself."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, StatementError

# Python-side failures to encode a value: orjson's int range and depth, lone surrogates, etc.
_VALUE_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)
# SQLSTATE classes: 22 data exception (a NUL byte, a number out of range), 54 program limit exceeded.
_DATA_SQLSTATES = ("22", "54")


def caused_by_data(exc: BaseException) -> bool:
    """Whether writing other rows could succeed where these failed (the data, not the database)."""
    if isinstance(exc, DataError):
        return True
    if isinstance(exc, DBAPIError):
        sqlstate = getattr(exc.orig, "sqlstate", None) or ""
        return sqlstate.startswith(_DATA_SQLSTATES)
    if isinstance(exc, StatementError):
        return isinstance(exc.orig, _VALUE_ERRORS)
    return isinstance(exc, _VALUE_ERRORS)


def one_sentence(exc: BaseException) -> str:
    """The first line of the error, without SQLAlchemy's statement and parameters."""
    cause = exc.orig if isinstance(exc, StatementError) and exc.orig is not None else exc
    text = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
    return text[:200]

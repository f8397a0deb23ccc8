"""Telling a database error caused by the data written from one caused by the database itself."""

from __future__ import annotations

import sqlite3

import psycopg
from sqlalchemy.exc import StatementError

# Python-side failures to encode a value: orjson's int range and depth, lone surrogates, etc.
_VALUE_ERRORS = (ValueError, TypeError, OverflowError, RecursionError)
# SQLSTATE classes: 22 data exception (a NUL byte, a number out of range), 54 program limit exceeded.
_DATA_SQLSTATES = ("22", "54")
_RETRY_SQLSTATES = ("40P01", "40001")  # deadlock detected, serialization failure


def caused_by_data(exc: BaseException) -> bool:
    """Whether writing other rows could succeed where these failed (the data, not the database).

    Errors come wrapped by SQLAlchemy, or bare from the driver (the bulk COPY path uses it directly).
    """
    cause = _unwrapped(exc)
    if isinstance(cause, psycopg.DataError | sqlite3.DataError):
        return True
    if isinstance(cause, psycopg.Error):
        return (cause.sqlstate or "").startswith(_DATA_SQLSTATES)
    return isinstance(cause, _VALUE_ERRORS)


def deadlocked(exc: BaseException) -> bool:
    """Whether PostgreSQL ended the transaction to break a deadlock (or a serialization failure):
    the same work tried again may well succeed."""
    cause = _unwrapped(exc)
    return isinstance(cause, psycopg.Error) and cause.sqlstate in _RETRY_SQLSTATES


def one_sentence(exc: BaseException) -> str:
    """The first line of the error, without SQLAlchemy's statement and parameters."""
    cause = _unwrapped(exc)
    lines = str(cause).strip().splitlines()
    return (lines[0] if lines else type(cause).__name__)[:200]


def _unwrapped(exc: BaseException) -> BaseException:
    if isinstance(exc, StatementError) and exc.orig is not None:
        return exc.orig
    return exc

"""What the log filters keep out: lead emails in access-log paths, row values in database errors."""

from __future__ import annotations

import logging
import sys

from bot.entrypoints.logs import HideDatabaseDetail, RedactLeadPaths

ACCESS = '%s - "%s %s HTTP/%s" %d'  # uvicorn's access-log line


def record(msg: str, args: tuple[object, ...] = (), exc: BaseException | None = None) -> logging.LogRecord:
    exc_info = (type(exc), exc, exc.__traceback__) if exc else None
    return logging.LogRecord("test", logging.ERROR, __file__, 1, msg, args, exc_info)


def test_access_log_path_under_leads_is_redacted_and_others_kept() -> None:
    lead = record(
        '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:1", "GET", "/v1/leads/ana%40acme.io?x=1", "1.1", 200)
    )
    events = record('%s - "%s %s HTTP/%s" %d', ("127.0.0.1:1", "POST", "/v1/events?wait=5", "1.1", 200))

    for item in (lead, events):
        RedactLeadPaths().filter(item)

    assert lead.getMessage() == '127.0.0.1:1 - "GET /v1/leads/<redacted>?x=1 HTTP/1.1" 200'
    assert events.getMessage() == '127.0.0.1:1 - "POST /v1/events?wait=5 HTTP/1.1" 200'


def test_database_error_keeps_its_traceback_without_the_detail_line() -> None:
    try:
        raise RuntimeError(
            'duplicate key value violates unique constraint "leads_pkey"\n'
            "DETAIL:  Key (email)=(ana@acme.io) already exists."
        )
    except RuntimeError:
        item = record("failed", exc=sys.exc_info()[1])

    HideDatabaseDetail().filter(item)
    shown = logging.Formatter().format(item)

    assert "ana@acme.io" not in shown
    assert "Traceback (most recent call last)" in shown
    assert "duplicate key value violates unique constraint" in shown

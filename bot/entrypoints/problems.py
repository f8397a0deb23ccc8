"""Database and Slack failures said in one sentence, for the command line, /readyz and the logs."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError

_SQLITE_CANNOT_OPEN = "unable to open database file"


class CheckRefused(Exception):
    """A ``handoff check`` line that failed for a reason already said in a sentence."""


def database_problem(exc: SQLAlchemyError, *, url: str) -> str:
    """What is wrong with the database at ``url``, as one sentence without lead data or parameters."""
    where = _shown_url(url)
    reason = _reason(exc)
    if reason == _SQLITE_CANNOT_OPEN:
        return (
            f"cannot open the SQLite database {where}: its folder is missing or not writable "
            "(check HANDOFF_DATABASE_URL)"
        )
    if isinstance(exc, OperationalError):
        return f"cannot use the database {where}: {reason} (check HANDOFF_DATABASE_URL and the server)"
    return f"the database {where} failed: {reason}"


def slack_problem(exc: SlackApiError | OSError) -> str:
    """Slack's refusal (its error code) or why it could not be reached."""
    if isinstance(exc, SlackApiError):
        return f"Slack answered {exc.response.get('error', exc)}"
    return f"Slack could not be reached: {getattr(exc, 'reason', None) or exc}"


def _reason(exc: SQLAlchemyError) -> str:
    # The driver's own message, first line: SQLAlchemy's rendering adds the statement, and
    # PostgreSQL's DETAIL lines may quote a row's values.
    message = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    first_line = (message.strip().splitlines() or [type(exc).__name__])[0]
    if first_line.startswith("connection failed: "):
        first_line = first_line.rsplit(" failed: ", 1)[-1]
    return first_line.removeprefix("FATAL:").strip()


def _shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (SQLAlchemyError, ValueError):
        return "(unparsable URL)"

"""One log format for every logger of ``handoff serve`` (ours, uvicorn's, Bolt's, APScheduler's),
plain text or JSON lines, with lead data kept out by default."""

from __future__ import annotations

import logging
import logging.config
import re
import sys
import threading
from typing import Any

from pythonjsonlogger.core import RESERVED_ATTRS
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"
_LEAD_PATH = re.compile(r"^/v1/leads/[^?]*")
_json_configured = False


class RedactLeadPaths(logging.Filter):
    """Access-log lines name the route, never the lead: ``/v1/leads/<redacted>``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _LEAD_PATH.sub("/v1/leads/<redacted>", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


class HideDatabaseDetail(logging.Filter):
    """A logged exception keeps its traceback without PostgreSQL's DETAIL lines, which quote row
    values (``Key (email)=(ana@…) already exists``); statement parameters are already hidden by the
    engine (``hide_parameters``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            lines = text.splitlines()
            record.exc_text = "\n".join(line for line in lines if not line.lstrip().startswith("DETAIL:"))
            record.exc_info = None
        return True


class WarningsOnly(logging.Filter):
    """For a logger whose level Bolt resets to the root's whenever it builds one."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


class DropIgnoredTokenWarning(logging.Filter):
    """Bolt reads SLACK_BOT_TOKEN from the environment by itself although it is handed a client
    built from that very token, then warns that it ignores its copy: nothing to act on."""

    _message = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != self._message


def configure_logging(*, log_format: str, level: int = logging.INFO) -> None:
    """Route every logger through one stderr handler in ``log_format`` (``text`` or ``json``)."""
    global _json_configured
    logging.config.dictConfig(_config(log_format, level))
    logging.captureWarnings(True)
    threading.excepthook = _log_thread_crash
    _json_configured = log_format == "json"


def json_configured() -> bool:
    """Whether the process logs JSON lines (so errors must be logged, not printed)."""
    return _json_configured


def _config(log_format: str, level: int) -> dict[str, Any]:
    formatter: dict[str, Any] = {"format": TEXT_FORMAT}
    if log_format == "json":
        formatter = {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": JSON_FIELDS,
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "reserved_attrs": [*RESERVED_ATTRS, "color_message"],  # uvicorn's copy with ANSI colours
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter},
        "filters": {
            "lead_paths": {"()": RedactLeadPaths},
            "database_detail": {"()": HideDatabaseDetail},
            "warnings_only": {"()": WarningsOnly},
            "ignored_token": {"()": DropIgnoredTokenWarning},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": sys.stderr,
                "formatter": "default",
                "filters": ["database_detail"],
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            "uvicorn.access": {"handlers": [], "propagate": True, "filters": ["lead_paths"]},
            "slack_bolt.App": {"filters": ["ignored_token"]},
            # Bolt logs a request whose signature fails at INFO with its whole body.
            "slack_bolt.RequestVerification": {"filters": ["warnings_only"]},
        },
    }


def _log_thread_crash(args: threading.ExceptHookArgs) -> None:
    name = args.thread.name if args.thread else "?"
    logging.getLogger("handoff").error("thread %s crashed", name, exc_info=args.exc_value)

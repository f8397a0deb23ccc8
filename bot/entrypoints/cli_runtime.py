"""What every ``handoff`` command shares: its runtime, and failures said in one sentence with
the documented exit code (README, "Exit codes")."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.exc import SQLAlchemyError

from bot.entrypoints.logs import json_configured
from bot.entrypoints.problems import database_problem
from bot.model_source import load_scoring_model
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings, SettingsError, load_settings
from scoring import ModelError, ScoringModel

UNUSABLE = 2  # settings, database, scoring model or input file
INTERRUPTED = 130  # the shell's code for Ctrl-C

errors = Console(stderr=True)


def fail(message: str, *, code: int = UNUSABLE) -> NoReturn:
    """Print ``message`` as the command's error (a log line once logs are JSON) and end with ``code``."""
    if json_configured():
        logging.getLogger("handoff").error(message)
    else:
        errors.print(f"[red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def settings_or_fail(*requires: str) -> Settings:
    """Settings with the variables ``requires`` names set, or a plain message and exit 2."""
    try:
        settings = load_settings()
        settings.require(*requires)
    except SettingsError as exc:
        fail(str(exc))
    return settings


@contextmanager
def runtime(
    *, migrate: bool = True, requires: tuple[str, ...] = (), settings: Settings | None = None
) -> Iterator[Runtime]:
    """Settings (read unless given), model and database for one command; what makes them unusable
    ends it with exit 2, before anything else happens or, for the database, whenever it fails."""
    settings = settings or settings_or_fail(*requires)
    try:
        built = build_runtime(settings, migrate=migrate)
    except ModelError as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(database_problem(exc, url=settings.database_url))
    try:
        yield built
    except SQLAlchemyError as exc:
        fail(database_problem(exc, url=settings.database_url))
    finally:
        built.close()


@contextmanager
def ctrl_c_held() -> Iterator[Callable[[], None]]:
    """Hold a Ctrl-C until the block ends, then raise it: what the block commits, it also counts.
    The block may stop sooner where that is safe, by calling what this yields (it raises the held
    Ctrl-C). Nothing changes where a Ctrl-C raises nothing (ignored, or another handler) or cannot
    be handled (a thread other than the main one)."""
    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        yield lambda: None
        return
    held: list[int] = []

    def stop_if_asked() -> None:
        if held:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, lambda number, _frame: held.append(number))
    try:
        yield stop_if_asked
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


def model_or_fail(rt: Runtime, path: Path | None) -> ScoringModel:
    """The model at ``path`` (the runtime's own when None), or its problems and exit 2."""
    if path is None:
        return rt.model
    try:
        return load_scoring_model(path)
    except ModelError as exc:
        fail(str(exc))

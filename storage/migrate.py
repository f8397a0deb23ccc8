"""Applying Alembic migrations from code (``handoff db upgrade`` and ``handoff serve``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

_SCRIPTS = Path(__file__).parent / "migrations"
# Any fixed 64-bit number: the key of the PostgreSQL advisory lock replicas queue on to migrate.
MIGRATION_LOCK_KEY = 0x68616E646F6666  # "handoff"


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the packaged migration scripts."""
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(engine: Engine) -> str | None:
    """Bring the database to the newest revision; returns the revision it is at.

    Replicas starting together take turns: on PostgreSQL an advisory lock held until the
    transaction ends, on SQLite the write lock its ``BEGIN IMMEDIATE`` takes. The next one in
    line finds the schema at head and has nothing to do.
    """
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        _lock_migrations(connection)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return current_revision(engine)


def _lock_migrations(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of Handoff."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()

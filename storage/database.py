"""Engines and the session factory, with each database's settings applied on connect."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from storage.sql import json_text

READ_ONLY = "handoff_read_only"  # execution option of read-only transactions

SQLITE_FILE_PRAGMAS = (
    "journal_mode = WAL",
    "synchronous = NORMAL",
    "cache_size = -65536",  # 64 MiB of pages per connection, not 2
    "wal_autocheckpoint = 16384",  # checkpoint every 64 MiB of log, not 4: pages rewritten in between go once
)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs given without a driver (``postgresql://...``)."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys, a busy timeout and write-locking BEGIN
    (except in read-only transactions)."""
    url = normalise_url(url)
    kwargs = {
        "json_serializer": json_text,
        "json_deserializer": orjson.loads,
        "hide_parameters": True,
        **kwargs,
    }
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # psycopg prepares a statement after 5 runs; PostgreSQL may then reuse a generic plan, and for
    # `email IN ($1 … $500)` planned while the table was small that plan is a sequential scan.
    return create_engine(url, pool_pre_ping=True, connect_args={"prepare_threshold": None}, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling would defer BEGIN; we emit it ourselves below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA busy_timeout = 30000")
        if engine.url.database not in (None, "", ":memory:"):
            for pragma in SQLITE_FILE_PRAGMAS:
                cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # A writer's IMMEDIATE takes the write lock up front, so a read-then-write never hits
        # SQLITE_BUSY midway; a reader's DEFERRED takes no lock and, under WAL, never waits for one.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """A session factory; each request or job opens its own session.

    A read-only factory's transactions take no write lock on SQLite and are declared READ ONLY on
    PostgreSQL (a write in one fails there).
    """
    if read_only:
        options: dict[str, Any] = {READ_ONLY: True}
        if is_postgres(engine):
            options["postgresql_readonly"] = True
        return sessionmaker(bind=engine.execution_options(**options), expire_on_commit=False)
    return sessionmaker(bind=engine, expire_on_commit=False)


def ping(engine: Engine) -> None:
    """Raise if the database cannot answer a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def is_postgres(engine: Engine) -> bool:
    """Whether the engine talks to PostgreSQL."""
    return engine.dialect.name == "postgresql"

"""A fresh database for one benchmark part: an SQLite file, or a PostgreSQL schema of its own that
is dropped afterwards (the benchmarks run as scripts and import this beside them)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_CONNINFO = "host=127.0.0.1 port=5432 user=postgres dbname=test"


@contextmanager
def fresh_database(kind: str, stem: Path) -> Iterator[str]:
    """``sqlite:///STEM.db``, or a URL whose search path is a new PostgreSQL schema."""
    if kind == "sqlite":
        yield f"sqlite:///{stem}.db"
        return
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')

"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy import BindParameter, Table, bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (keeps IN lists under driver limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert_ignoring_conflicts(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], keys: list[str]
) -> None:
    """INSERT rows (all with the keys of the first), skipping any that clash on ``keys``."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    values: dict[str, BindParameter[Any]] = {name: bindparam(name) for name in rows[0]}
    if dialect == "postgresql":
        statement: Any = postgresql.insert(table).values(values).on_conflict_do_nothing(index_elements=keys)
    elif dialect == "sqlite":
        statement = sqlite.insert(table).values(values).on_conflict_do_nothing(index_elements=keys)
    else:
        raise NotImplementedError(f"{dialect} is not supported: use SQLite or PostgreSQL")
    execute_many(session, statement, rows)


def execute_many(session: Session, statement: UpdateBase, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run ``statement`` once per row with the driver's own executemany.

    The statement is compiled once and each value goes through its column type's bind processor,
    as SQLAlchemy would do; skipping SQLAlchemy's per-row parameter bookkeeping halves the cost of
    the ingestion path's bulk writes.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    compiled: Any = statement.compile(dialect=dialect)
    names: list[str] = list(compiled.positiontup) if compiled.positional else list(compiled.binds)
    processors = [
        (index, processor)
        for index, name in enumerate(names)
        if (processor := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    values = [_row_values(row, names, processors) for row in rows]
    parameters: Any = (
        values if compiled.positional else [dict(zip(names, row, strict=True)) for row in values]
    )
    connection.exec_driver_sql(compiled.string, parameters)


def _row_values(
    row: Mapping[str, Any], names: list[str], processors: list[tuple[int, Callable[[Any], Any]]]
) -> tuple[Any, ...]:
    values = [row[name] for name in names]
    for index, process in processors:
        values[index] = process(values[index])
    return tuple(values)

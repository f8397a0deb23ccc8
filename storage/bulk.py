"""Bulk writes of the ingestion path: many rows per statement, at the driver's level.

SQLAlchemy's per-row parameter bookkeeping cost more than SQLite's own work, so rows go straight
to the driver. SQLite gets one ``executemany``; PostgreSQL gets one statement per batch that reads
the rows by COPY into a temporary table, then one INSERT or UPDATE from it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, BindParameter, Column, Table, bindparam, insert, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import UpdateBase

from storage.sql import json_text

Rows = Sequence[Mapping[str, Any]]
Values = Sequence[Sequence[Any]]
_ESCAPED_NUL = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")


def insert_ignoring_conflicts(session: Session, table: Table, rows: Rows, keys: list[str]) -> int:
    """INSERT rows (all with the keys of the first), skipping any that clash on ``keys``; returns
    how many were inserted."""
    if not rows:
        return 0
    names = list(rows[0])
    dialect = _dialect(session)
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        columns = ", ".join(map(quote, names))
        staged = _stage(session, table, names, rows, dialect)
        result = session.connection().exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({columns}) SELECT {columns} FROM {staged} "
            f"ON CONFLICT ({', '.join(map(quote, keys))}) DO NOTHING"
        )
        return int(result.rowcount)
    values: dict[str, BindParameter[Any]] = {name: bindparam(name) for name in names}
    return _execute_many(
        session, sqlite.insert(table).values(values).on_conflict_do_nothing(index_elements=keys), rows
    )


def insert_new(
    session: Session,
    table: Table,
    *,
    shared: Mapping[str, Any],
    varying: Sequence[str],
    rows: Values,
    keys: list[str],
    returning: Sequence[str],
) -> list[Sequence[Any]]:
    """INSERT one row per item of ``rows`` (its values of the ``varying`` columns, plain JSON
    values) with the ``shared`` values in the other columns, skipping any that clash on ``keys``;
    returns the ``returning`` columns of those inserted (in no particular order)."""
    if not rows:
        return []
    dialect = _dialect(session)
    quote = dialect.identifier_preparer.quote
    names = [*varying, *shared]
    into = f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, names))})"
    returned = ", ".join(map(quote, returning))
    clash = f"ON CONFLICT ({', '.join(map(quote, keys))}) DO NOTHING RETURNING {returned}"
    connection = session.connection()
    if dialect.name == "postgresql":
        full = [{**dict(zip(varying, row, strict=True)), **shared} for row in rows]
        staged = _stage(session, table, names, full, dialect)
        columns = ", ".join(map(quote, names))
        return list(connection.exec_driver_sql(f"{into} SELECT {columns} FROM {staged} {clash}"))
    # One JSON array of the varying values, the shared ones bound once: no statement per row,
    # no limit on the number of parameters (SQLite's upsert after SELECT needs its WHERE).
    picks = [f"json_extract(value, '$[{index}]')" for index in range(len(varying))]
    select = f"SELECT {', '.join([*picks, *'?' * len(shared)])} FROM json_each(?) WHERE true"
    values = [(_processor(table.c[name].type, dialect) or _same)(value) for name, value in shared.items()]
    return list(connection.exec_driver_sql(f"{into} {select} {clash}", (*values, json_text(rows))))


def insert_rows(session: Session, table: Table, rows: Rows, *, ids: bool = False) -> list[int]:
    """INSERT rows (all with the keys of the first) in their order; with ``ids``, returns their new
    ids in the order of ``rows`` (else nothing). PostgreSQL gets one COPY, the ids drawn from the
    table's sequence first: a large multi-row INSERT costs the driver more to parse than the server
    to run."""
    if not rows:
        return []
    dialect = _dialect(session)
    if dialect.name != "postgresql":
        return _sqlite_insert_rows(session, table, rows, ids=ids)
    names = list(rows[0])
    values: Iterable[Sequence[Any]] = _copy_rows(table, names, rows, dialect)
    new_ids: list[int] = []
    if ids:
        sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
        drawn = session.connection().exec_driver_sql(
            f"SELECT nextval({sequence}) FROM generate_series(1, {len(rows)})"
        )
        new_ids = sorted(int(new_id) for new_id in drawn.scalars())
        names, values = ["id", *names], [(new_id, *row) for new_id, row in zip(new_ids, values, strict=True)]
    _copy_values(session, dialect.identifier_preparer.quote(table.name), names, values, dialect)
    return new_ids


def _sqlite_insert_rows(session: Session, table: Table, rows: Rows, *, ids: bool) -> list[int]:
    """``insert_rows`` on SQLite: one executemany. SQLite does not promise RETURNING rows in the
    order of the VALUES, so SQLAlchemy would insert them one at a time; the ids are picked here as
    SQLite picks them (the largest + 1 on), under the write lock ``BEGIN IMMEDIATE`` took."""
    new_ids: list[int] = []
    if ids:
        largest = session.connection().exec_driver_sql(f'SELECT max(id) FROM "{table.name}"').scalar()
        first = int(largest or 0) + 1
        new_ids = list(range(first, first + len(rows)))
        rows = [{"id": new_id, **row} for new_id, row in zip(new_ids, rows, strict=True)]
    _execute_many(session, insert(table).values({name: bindparam(name) for name in rows[0]}), rows)
    return new_ids


def _copy_rows(table: Table, names: list[str], rows: Rows, dialect: Dialect) -> Iterator[list[Any]]:
    writers = [_copy_value(table.c[name], dialect) for name in names]
    return ([write(row[name]) for name, write in zip(names, writers, strict=True)] for row in rows)


def update_rows(session: Session, table: Table, rows: Rows, *, key: str = "id") -> None:
    """UPDATE the row whose ``key`` each mapping gives, setting its other entries."""
    if not rows:
        return
    names = [name for name in rows[0] if name != key]
    dialect = _dialect(session)
    if dialect.name == "postgresql":
        quote = dialect.identifier_preparer.quote
        staged = _stage(session, table, [key, *names], rows, dialect)
        target = quote(table.name)
        session.connection().exec_driver_sql(
            f"UPDATE {target} SET {', '.join(f'{quote(n)} = v.{quote(n)}' for n in names)} "
            f"FROM {staged} AS v WHERE {target}.{quote(key)} = v.{quote(key)}"
        )
        return
    # A WHERE parameter may not share its name with a column of the SET clause.
    statement = (
        update(table)
        .where(table.c[key] == bindparam(f"{key}_"))
        .values({name: bindparam(name) for name in names})
    )
    _execute_many(session, statement, rows, sources={f"{key}_": key})


def _dialect(session: Session) -> Dialect:
    dialect = session.get_bind().dialect
    if dialect.name not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"{dialect.name} is not supported: use SQLite or PostgreSQL")
    return dialect


def value_writer(session: Session, column: Column[Any]) -> Callable[[Any], Any]:
    """What a value of ``column`` becomes on its way to the driver: SQLAlchemy's bind processing,
    or on PostgreSQL the text COPY reads (for JSON: refusing NUL)."""
    return dialect_value_writer(_dialect(session), column)


def dialect_value_writer(dialect: Dialect, column: Column[Any]) -> Callable[[Any], Any]:
    """``value_writer`` for a dialect (no session needed: a worker process can prepare values)."""
    if dialect.name == "postgresql":
        return _copy_value(column, dialect)
    if isinstance(column.type, JSON) and not column.type.none_as_null:
        return json_text  # the engine's serializer, as SQLAlchemy calls it (None too: 'null')
    return _processor(column.type, dialect) or _same


def insert_values(session: Session, table: Table, names: Sequence[str], rows: Values, keys: list[str]) -> int:
    """INSERT rows of driver-ready values (see ``value_writer``) in the order of ``names``,
    skipping any that clash on ``keys``; returns how many were inserted."""
    if not rows:
        return 0
    dialect = _dialect(session)
    quote = dialect.identifier_preparer.quote
    columns, conflict = ", ".join(map(quote, names)), ", ".join(map(quote, keys))
    if dialect.name == "postgresql":
        staged = _staging_table(session, table, names, dialect)
        _copy_values(session, staged, names, rows, dialect)
        source = f"SELECT {columns} FROM {staged}"
        result = session.connection().exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({columns}) {source} ON CONFLICT ({conflict}) DO NOTHING"
        )
    else:
        marks = ", ".join("?" * len(names))
        result = session.connection().exec_driver_sql(
            f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({marks}) "
            f"ON CONFLICT ({conflict}) DO NOTHING",
            rows,
        )
    return int(result.rowcount)


def copy_values(session: Session, table: Table, names: Sequence[str], rows: Values) -> None:
    """COPY rows of driver-ready values (see ``value_writer``) into ``table`` (PostgreSQL only):
    a clash with a unique constraint fails the whole statement."""
    if rows:
        dialect = _dialect(session)
        _copy_values(session, dialect.identifier_preparer.quote(table.name), names, rows, dialect)


def _stage(session: Session, table: Table, names: list[str], rows: Rows, dialect: Dialect) -> str:
    """COPY ``rows`` into a temporary table shaped like ``table``'s ``names``; returns its name."""
    staged = _staging_table(session, table, names, dialect)
    _copy_values(session, staged, names, _copy_rows(table, names, rows, dialect), dialect)
    return staged


def _staging_table(session: Session, table: Table, names: Sequence[str], dialect: Dialect) -> str:
    """An empty temporary table shaped like ``table``'s ``names``; returns its name."""
    quote = dialect.identifier_preparer.quote
    columns = ", ".join(map(quote, names))
    digest = hashlib.sha1(",".join(names).encode(), usedforsecurity=False).hexdigest()[:10]
    staged = quote(f"bulk_{table.name}_{digest}")
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor:
        # Created once per connection; emptied at every commit and before each use.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staged} ON COMMIT DELETE ROWS "
            f"AS SELECT {columns} FROM {quote(table.name)} WITH NO DATA"
        )
        cursor.execute(f"DELETE FROM {staged}")
    return staged


def _copy_values(
    session: Session, target: str, names: Sequence[str], rows: Iterable[Sequence[Any]], dialect: Dialect
) -> None:
    columns = ", ".join(map(dialect.identifier_preparer.quote, names))
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    with cursor, cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _copy_value(column: Column[Any], dialect: Dialect) -> Callable[[Any], Any]:
    if _holds_datetimes(column.type):
        # COPY reads text: isoformat() writes a datetime several times faster than psycopg's dumper.
        as_datetime = _processor(column.type, dialect) or _same
        return lambda value: None if value is None else as_datetime(value).isoformat()
    # COPY takes JSON as text; psycopg's own JSON wrapper is for parameters only.
    process = _json_without_nul if isinstance(column.type, JSON) else _processor(column.type, dialect)
    if process is None:
        return _same
    return lambda value: None if value is None else process(value)


def _holds_datetimes(type_: Any) -> bool:
    try:
        return type_.python_type is datetime
    except NotImplementedError:
        return False


def _json_without_nul(value: Any) -> str:
    # A json column takes \u0000, but PostgreSQL cannot read it back as text (->>, jsonb, a text
    # column it is copied to): refused here like a NUL in a text column.
    text = json_text(value)
    if "\\u0000" in text and _ESCAPED_NUL.search(text):
        raise ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes, inside JSON neither")
    return text


def _processor(type_: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """What SQLAlchemy would do to a value of ``type_`` before handing it to the driver."""
    processor: Callable[[Any], Any] | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _same(value: Any) -> Any:
    return value


def _execute_many(
    session: Session, statement: UpdateBase, rows: Rows, *, sources: Mapping[str, str] | None = None
) -> int:
    """Run ``statement`` once per row with the driver's own executemany (SQLite's qmark style);
    returns the rows it changed. Each parameter takes the row's value of the same name, or of the
    name ``sources`` gives it.
    """
    connection = session.connection()
    dialect = connection.dialect
    compiled: Any = statement.compile(dialect=dialect)
    parameters: list[str] = list(compiled.positiontup)
    processors = [
        (index, processor)
        for index, name in enumerate(parameters)
        if (processor := _processor(compiled.binds[name].type, dialect))
    ]
    names = [(sources or {}).get(name, name) for name in parameters]
    result = connection.exec_driver_sql(compiled.string, _driver_values(rows, names, processors))
    return int(result.rowcount)


def _driver_values(
    rows: Rows, names: list[str], processors: list[tuple[int, Callable[[Any], Any]]]
) -> list[tuple[Any, ...]]:
    """Each row's values in the order of ``names``, each processed as SQLAlchemy would."""
    if not names:
        return [() for _ in rows]
    pick = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
    if not processors:
        return [pick(row) for row in rows]
    result = []
    for row in rows:
        values = list(pick(row))
        for index, process in processors:
            values[index] = process(values[index])
        result.append(tuple(values))
    return result

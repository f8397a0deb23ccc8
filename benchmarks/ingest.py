"""Ingestion throughput: the real path (validation, dedupe, scoring, persistence) against a raw write.

    python benchmarks/ingest.py [--events 1000000] [--leads 100000] [--db sqlite|postgres|both]

SQLite: the real path through ``Runtime.ingest`` (what ``handoff ingest`` does) against the same rows
written with ``sqlite3.executemany`` into a table with the same indexes and pragmas. PostgreSQL: the
real path against ``COPY`` of the same rows. Both commit every 2000 rows. Each part runs in a child
process, so its peak resident memory is its own. Target: ratio ≥ 0.25, peak memory < 500 MB.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 2000
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_CONNINFO = "host=127.0.0.1 port=5432 user=postgres dbname=test"
EVENTS_DDL = """CREATE TABLE events (id {pk}, event_id VARCHAR(200) NOT NULL UNIQUE, lead_id INTEGER NOT NULL,
  type VARCHAR(64) NOT NULL, occurred_at {ts} NOT NULL, properties {json} NOT NULL, rule_id VARCHAR(64),
  received_at {ts} NOT NULL)"""


def real_path(url: str, source: str, check_lines: int) -> dict[str, float]:
    """Ingest the file through the application; then re-ingest its head to check idempotency."""
    from bot.runtime import build_runtime
    from bot.services.event_input import parse_json_lines
    from bot.services.ingest import tune_garbage_collector_for_bulk_ingest
    from bot.settings import Settings

    tune_garbage_collector_for_bulk_ingest()
    runtime = build_runtime(Settings(_env_file=None, database_url=url, sales_channel="C0BENCH001"))  # type: ignore[call-arg]
    started = time.perf_counter()
    accepted = 0
    with open(source, "rb") as lines:
        items = parse_json_lines(lines)
        while batch := list(islice(items, BATCH)):
            accepted += runtime.ingest(batch).accepted
    seconds = time.perf_counter() - started
    with open(source, "rb") as lines:
        again = runtime.ingest(list(parse_json_lines(islice(lines, check_lines))))
    with runtime.uow() as uow:
        stored = uow.events.count()
    runtime.close()
    return {
        "seconds": seconds,
        "accepted": accepted,
        "stored": stored,
        "replay_accepted": again.accepted,
        "replay_duplicates": again.duplicates,
        "peak_mb": _peak_mb(),
    }


def sqlite_baseline(path: str, rows_file: str) -> dict[str, float]:
    """The same rows with sqlite3.executemany, same indexes and pragmas."""
    import sqlite3

    from storage.database import SQLITE_FILE_PRAGMAS

    rows = _load_rows(rows_file)
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_FILE_PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(EVENTS_DDL.format(pk="INTEGER PRIMARY KEY", ts="DATETIME", json="JSON"))
    connection.execute("CREATE INDEX ix_events_lead_occurred ON events (lead_id, occurred_at)")
    insert = (
        "INSERT INTO events (event_id, lead_id, type, occurred_at, properties, rule_id, received_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)"
    )
    started = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        connection.execute("BEGIN")
        connection.executemany(insert, rows[start : start + BATCH])
        connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def postgres_baseline(schema: str, rows_file: str) -> dict[str, float]:
    """The same rows with COPY, same indexes."""
    import psycopg

    rows = _load_rows(rows_file)
    with psycopg.connect(PG_CONNINFO, options=f"-csearch_path={schema}") as connection:
        connection.execute(EVENTS_DDL.format(pk="SERIAL PRIMARY KEY", ts="TIMESTAMPTZ", json="JSON"))
        connection.execute("CREATE INDEX ix_events_lead_occurred ON events (lead_id, occurred_at)")
        connection.commit()
        copy = (
            "COPY events (event_id, lead_id, type, occurred_at, properties, rule_id, received_at) FROM STDIN"
        )
        started = time.perf_counter()
        for start in range(0, len(rows), BATCH):
            with connection.cursor() as cursor, cursor.copy(copy) as writer:
                for row in rows[start : start + BATCH]:
                    writer.write_row(row)
            connection.commit()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_mb": _peak_mb()}


def _load_rows(rows_file: str) -> list[tuple[object, ...]]:
    with open(rows_file) as handle:
        return [tuple(row) for row in json.load(handle)]


def _peak_mb() -> float:
    # VmHWM is this process's own peak; ru_maxrss would include the parent's peak, kept across exec.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _in_child(function: object, *args: object) -> dict[str, float]:
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, args)  # type: ignore[arg-type]


def generate(folder: Path, events: int, leads: int) -> tuple[str, str]:
    """The events as JSON Lines, and the raw rows the baselines write (not timed)."""
    from bot.terminal.sample import generate_events

    now = datetime.now(UTC)
    source, rows_file = folder / "events.jsonl", folder / "rows.json"
    rows = []
    with source.open("w") as out:
        for item in generate_events(leads=leads, events=events, now=now):
            out.write(json.dumps(item) + "\n")
            lead = int(item["email"].split("@")[0].removeprefix("lead"))
            rows.append(
                (
                    item["event_id"],
                    lead,
                    item["type"],
                    item["occurred_at"],
                    json.dumps(item["properties"]),
                    None,
                    now.isoformat(),
                )
            )
    rows_file.write_text(json.dumps(rows))
    return str(source), str(rows_file)


def report(name: str, events: int, real: dict[str, float], base: dict[str, float], baseline: str) -> None:
    """Print one database's figures."""
    real_rate, base_rate = events / real["seconds"], events / base["seconds"]
    ok = real["stored"] == events and real["replay_accepted"] == 0
    print(f"\n{name}")
    for label, rate, part in (("real path", real_rate, real), (baseline, base_rate, base)):
        print(
            f"  {label:<11} {rate:>10,.0f} events/s  ({part['seconds']:.1f} s, peak {part['peak_mb']:.0f} MB)"
        )
    print(f"  ratio       {real_rate / base_rate:>10.3f}  (target ≥ 0.25; peak memory target < 500 MB)")
    print(
        f"  check       stored {real['stored']:,} of {events:,}; replay of the first lines: "
        f"{real['replay_accepted']:.0f} accepted, {real['replay_duplicates']:,.0f} duplicates "
        f"{'✓' if ok else '✗'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    check_lines = min(10_000, args.events)
    with tempfile.TemporaryDirectory(prefix="handoff-bench-") as temp:
        folder = Path(temp)
        print(f"generating {args.events:,} events for {args.leads:,} leads…")
        source, rows_file = generate(folder, args.events, args.leads)
        if args.db in ("sqlite", "both"):
            real = _in_child(real_path, f"sqlite:///{folder / 'real.db'}", source, check_lines)
            base = _in_child(sqlite_baseline, str(folder / "raw.db"), rows_file)
            report("SQLite", args.events, real, base, "executemany")
        if args.db in ("postgres", "both"):
            _postgres(args.events, source, rows_file, check_lines)


def _postgres(events: int, source: str, rows_file: str, check_lines: int) -> None:
    import psycopg

    schemas = [f"bench_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
        for schema in schemas:
            connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        real = _in_child(real_path, f"{PG}?options=-csearch_path%3D{schemas[0]}", source, check_lines)
        base = _in_child(postgres_baseline, schemas[1], rows_file)
        report("PostgreSQL", events, real, base, "COPY")
    finally:
        with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
            for schema in schemas:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()

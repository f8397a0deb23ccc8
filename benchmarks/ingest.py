"""Ingestion speed: the append, the scorer's pass, a hot card's delay, and a backfill's silence.

    python benchmarks/ingest.py [--events 200000] [--leads 20000] [--db sqlite|postgres|both]
                                [--batch 10000] [--backfill 100000] [--hot 5] [--parts all|append]
                                [--repeat 1]

For each database, in the same run:

* **raw**: the same rows written straight to an ``events`` table with the same indexes (SQLite
  ``executemany`` with the app's pragmas; PostgreSQL ``COPY``), one transaction per ``--batch``.
* **append**: the live stream (60 days of events in the order they happened) through what
  ``handoff ingest`` does before scoring (``ready_batches`` → ``Runtime.append_ready``, ``--batch``
  events per transaction; on a machine with two cores, a worker process validates the next batches
  while the current one is written); then its head
  again, which must add nothing. Target ≥ 0.5 × raw on SQLite, ≥ 0.3 × raw on PostgreSQL.
* **scorer**: ``Runtime.drain`` over the appended log. Target ≥ 0.25 × raw.
* **hot card**: ``handoff serve`` on that database (fake Slack), its scoring worker at rest; ``--hot``
  events that hand a fit lead over are posted to ``/v1/events`` one at a time, each timed until its
  card entry is in the outbox. Target ≤ 2 s.
* **backfill**: ``--backfill`` events dated a year ago and more, in no particular order (an import),
  appended and scored into a fresh database: no card may be queued (``--backfill 1000000`` for
  the full-size check). Events older than a lead's latest make the scorer replay that lead.

``--parts append`` runs raw and append alone (no scorer, hot card or backfill). ``--repeat N`` runs
raw, append and scorer N times in turn, prints each round's ratios and reports the median round (the
raw baselines vary by half between runs on a shared machine).

Each timed part runs in a child process. Ratios are of events per second in this run; nothing is
asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fresh_database import PG_CONNINFO, fresh_database  # noqa: E402

CHANNEL = "C0BENCH001"
API_TOKEN = "bench-api-token-0123456789"
TARGETS = {"sqlite": 0.5, "postgres": 0.3}
SCORER_TARGET = 0.25
HOT_TARGET_SECONDS = 2.0
COLUMNS = "event_id, lead_id, type, occurred_at, properties, profile, rule_id, received_at"
EVENTS_DDL = """CREATE TABLE events (id {pk}, event_id VARCHAR(200) NOT NULL UNIQUE, lead_id INTEGER NOT NULL,
  type VARCHAR(64) NOT NULL, occurred_at {ts} NOT NULL, properties {json} NOT NULL, profile {json},
  rule_id VARCHAR(64), received_at {ts} NOT NULL)"""


def append_and_score(url: str, source: str, batch: int, score: bool = True) -> dict[str, float]:
    """Append the file as ``handoff ingest`` does, then score it (if ``score``); then append its
    head again."""
    from bot.runtime import build_runtime
    from bot.services.event_input import parse_json_lines
    from bot.services.ingest import tune_garbage_collector_for_bulk_ingest
    from bot.services.parse_ahead import ready_batches
    from bot.settings import Settings

    tune_garbage_collector_for_bulk_ingest()
    settings = Settings(_env_file=None, database_url=url, sales_channel=CHANNEL)  # type: ignore[call-arg]
    runtime = build_runtime(settings)
    started = time.perf_counter()
    accepted, last = 0, 0
    with open(source, "rb") as lines:
        for ready in ready_batches(lines, batch=batch, dialect=runtime.engine.dialect.name):
            result = runtime.append_ready(ready)
            accepted, last = accepted + result.accepted, max(last, result.last_event_id)
    appended = time.perf_counter()
    if score:
        runtime.drain(until=last, timeout=3600)
    scored = time.perf_counter()
    with open(source, "rb") as lines:
        again = runtime.append(list(parse_json_lines(islice(lines, batch))))
    with runtime.read_uow() as uow:
        stored = uow.events.count()
    cards = _cards(runtime)
    runtime.close()
    return {
        "append": appended - started,
        "score": scored - appended,
        "accepted": accepted,
        "stored": stored,
        "again_accepted": again.accepted,
        "cards": cards,
    }


def _cards(runtime: object) -> int:
    from sqlalchemy import func, select

    from storage.outbox import HANDOFF_CARD
    from storage.tables import OutboxRow, table

    outbox = table(OutboxRow)
    with runtime.read_uow() as uow:  # type: ignore[attr-defined]
        query = select(func.count()).select_from(outbox).where(outbox.c.kind == HANDOFF_CARD)
        return int(uow.session.execute(query).scalar_one())


def sqlite_raw(path: str, rows_file: str, batch: int) -> dict[str, float]:
    """The same rows with sqlite3.executemany, same indexes and pragmas."""
    rows = _load_rows(rows_file)
    connection, insert = sqlite_events_table(path)
    started = time.perf_counter()
    for start in range(0, len(rows), batch):
        connection.execute("BEGIN")
        connection.executemany(insert, rows[start : start + batch])
        connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    connection.close()
    return {"seconds": seconds}


def sqlite_events_table(path: str) -> tuple[sqlite3.Connection, str]:
    """A connection to a new SQLite database at ``path`` with the app's pragmas and a bare
    ``events`` table with the same indexes; the INSERT of one row of ``COLUMNS``."""
    from storage.database import SQLITE_FILE_PRAGMAS

    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in SQLITE_FILE_PRAGMAS:
        connection.execute(f"PRAGMA {pragma}")
    connection.execute(EVENTS_DDL.format(pk="INTEGER PRIMARY KEY", ts="DATETIME", json="JSON"))
    connection.execute("CREATE INDEX ix_events_lead_occurred ON events (lead_id, occurred_at)")
    return connection, f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def postgres_raw(schema: str, rows_file: str, batch: int) -> dict[str, float]:
    """The same rows with COPY, same indexes."""
    import psycopg

    rows = _load_rows(rows_file)
    with psycopg.connect(PG_CONNINFO, options=f"-csearch_path={schema}") as connection:
        connection.execute(EVENTS_DDL.format(pk="SERIAL PRIMARY KEY", ts="TIMESTAMPTZ", json="JSON"))
        connection.execute("CREATE INDEX ix_events_lead_occurred ON events (lead_id, occurred_at)")
        connection.commit()
        started = time.perf_counter()
        for start in range(0, len(rows), batch):
            with connection.cursor() as cursor, cursor.copy(f"COPY events ({COLUMNS}) FROM STDIN") as copy:
                for row in rows[start : start + batch]:
                    copy.write_row(row)
            connection.commit()
        seconds = time.perf_counter() - started
    return {"seconds": seconds}


def _load_rows(rows_file: str) -> list[tuple[object, ...]]:
    with open(rows_file) as handle:
        return [tuple(row) for row in json.load(handle)]


def _in_child(function: object, *args: object) -> dict[str, float]:
    # Not a multiprocessing.Pool: its daemonic workers may not start the ingest's own worker.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        return pool.submit(function, *args).result()  # type: ignore[operator]


def generate(
    folder: Path, name: str, *, events: int, leads: int, now: datetime, days: int, ordered: bool
) -> tuple[str, str]:
    """The events as JSON Lines (in time order if ``ordered``), and the raw rows the baseline
    writes (not timed)."""
    from bot.terminal.sample import generate_events

    source, rows_file = folder / f"{name}.jsonl", folder / f"{name}.rows.json"
    rows = []
    items = generate_events(leads=leads, events=events, now=now, days=days)
    if ordered:
        items = iter(sorted(items, key=lambda item: item["occurred_at"]))
    with source.open("w") as out:
        for item in items:
            out.write(json.dumps(item) + "\n")
            lead = int(item["email"].split("@")[0].removeprefix("lead"))
            profile = json.dumps(item["lead"]) if "lead" in item else None
            row = (item["event_id"], lead, item["type"], item["occurred_at"])
            rows.append((*row, json.dumps(item["properties"]), profile, None, now.isoformat()))
    rows_file.write_text(json.dumps(rows))
    return str(source), str(rows_file)


def hot_card_seconds(url: str, folder: str, count: int) -> list[float]:
    """Seconds from posting a hand-raise to its card entry in the outbox, with serve's worker at rest."""
    import httpx

    from tests.builders import FIT_LEAD, event
    from tests.fakes.slack_api import FakeSlack
    from tests.slack_requests import BOT_TOKEN

    with FakeSlack(tokens=[BOT_TOKEN], rate_per_second=1000) as slack, _serve(url, folder, slack) as serve:
        slack.set_channel(CHANNEL)
        auth = {"Authorization": f"Bearer {API_TOKEN}"}
        delays = []
        for number in range(count):
            time.sleep(1.5)  # the worker has looked and found nothing: it waits for its next poll
            email = f"hot{number}-{uuid.uuid4().hex[:6]}@acme.io"
            before = _card_count(url)
            started = time.perf_counter()
            answer = httpx.post(
                f"{serve}/v1/events",
                json=[event(email, lead=FIT_LEAD), event(email, "demo_request")],
                headers=auth,
                timeout=30,
            )
            answer.raise_for_status()
            while _card_count(url) == before and time.perf_counter() - started < 30:
                time.sleep(0.005)
            delays.append(time.perf_counter() - started)
    return delays


def _card_count(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = _ENGINES.setdefault(url, create_engine(url))
    with engine.connect() as connection:
        query = text("SELECT count(*) FROM outbox WHERE kind = 'handoff_card'")
        return int(connection.execute(query).scalar_one())


_ENGINES: dict[str, object] = {}


@contextmanager
def _serve(url: str, folder: str, slack: object) -> Iterator[str]:
    import httpx

    from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    env = os.environ | {
        "HANDOFF_DATABASE_URL": url,
        "HANDOFF_SALES_CHANNEL": CHANNEL,
        "HANDOFF_API_TOKEN": API_TOKEN,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,  # type: ignore[attr-defined]
    }
    command = [sys.executable, "-m", "bot", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        yield base
    finally:
        process.terminate()
        process.wait(10)


def _schema(url: str) -> str:
    return url.rsplit("%3D", 1)[-1]


def run(kind: str, folder: Path, args: argparse.Namespace, files: dict[str, tuple[str, str]]) -> None:
    """Every part on one database (raw, append and scorer ``--repeat`` times, in turn), then its
    figures."""
    everything = args.parts == "all"
    last = args.repeat - 1
    rounds = [
        _round(kind, folder / f"round{n}", args, files, hot=everything and n == last)
        for n in range(args.repeat)
    ]
    raw, real, hot = _median_round(rounds, args.events, scored=everything)
    if not everything:
        report(kind, args, raw, real, hot, None)
        return
    with fresh_database(kind, folder / "backfill") as url:
        backfill = _in_child(append_and_score, url, files["backfill"][0], args.batch)
    report(kind, args, raw, real, hot, backfill)


def _round(
    kind: str, folder: Path, args: argparse.Namespace, files: dict[str, tuple[str, str]], *, hot: bool
) -> tuple[dict[str, float], dict[str, float], list[float]]:
    """Raw, then append (and scorer) on fresh databases; the hot cards after the last round."""
    source, rows_file = files["live"]
    folder.mkdir(exist_ok=True)
    with fresh_database(kind, folder / "raw") as raw_url:
        raw = (
            _in_child(sqlite_raw, raw_url.removeprefix("sqlite:///"), rows_file, args.batch)
            if kind == "sqlite"
            else _in_child(postgres_raw, _schema(raw_url), rows_file, args.batch)
        )
    with fresh_database(kind, folder / "app") as url:
        real = _in_child(append_and_score, url, source, args.batch, args.parts == "all")
        delays = hot_card_seconds(url, str(folder), args.hot) if args.hot and hot else []
    return raw, real, delays


def _median_round(
    rounds: list[tuple[dict[str, float], dict[str, float], list[float]]], events: int, *, scored: bool
) -> tuple[dict[str, float], dict[str, float], list[float]]:
    """The round whose scorer ratio (append's, when not ``scored``) is the median, with every
    round's hot cards; each round's ratios printed first when there are several (the raw baselines
    vary between runs on a shared machine)."""
    part = "score" if scored else "append"

    def ratio(item: tuple[dict[str, float], dict[str, float], list[float]]) -> float:
        return item[0]["seconds"] / item[1][part]

    if len(rounds) > 1:
        for number, (raw, real, _) in enumerate(rounds, 1):
            shown = f"append {raw['seconds'] / real['append']:.3f}"
            if scored:
                shown += f", scorer {raw['seconds'] / real['score']:.3f}"
            print(f"  round {number}: raw {events / raw['seconds']:,.0f} events/s; {shown}")
    ordered = sorted(rounds, key=ratio)
    raw, real, _ = ordered[len(ordered) // 2]
    return raw, real, [delay for _, _, delays in rounds for delay in delays]


def report(
    kind: str,
    args: argparse.Namespace,
    raw: dict[str, float],
    real: dict[str, float],
    hot: list[float],
    backfill: dict[str, float] | None,
) -> None:
    """Print one database's figures, each against its target (``backfill`` None: append alone)."""
    events = args.events
    raw_rate = events / raw["seconds"]
    baseline = "executemany" if kind == "sqlite" else "COPY"
    print(f"\n{'SQLite' if kind == 'sqlite' else 'PostgreSQL'}: {events:,} events, {args.leads:,} leads")
    print(f"  raw {baseline:<12} {raw_rate:>9,.0f} events/s ({raw['seconds']:.1f} s)")
    parts = [("append", events / real["append"], real["append"], TARGETS[kind])]
    if backfill is not None:
        parts.append(("scorer", events / real["score"], real["score"], SCORER_TARGET))
    for label, rate, seconds, target in parts:
        ratio = rate / raw_rate
        print(
            f"  {label:<16} {rate:>9,.0f} events/s ({seconds:.1f} s)  ratio {ratio:.3f}  "
            f"target ≥ {target}  {_met(ratio >= target)}"
        )
    ok = real["stored"] == events and real["again_accepted"] == 0
    print(
        f"  check            stored {real['stored']:,.0f} of {events:,}; head appended again: "
        f"{real['again_accepted']:.0f} new {_met(ok)}; cards queued {real['cards']:,.0f}"
    )
    if hot:
        worst = max(hot)
        shown = ", ".join(f"{delay * 1000:.0f}" for delay in hot)
        print(f"  hot card         {shown} ms (worst {worst:.2f} s)  target ≤ 2 s  {_met(worst <= 2)}")
    if backfill is None:
        return
    print(
        f"  backfill         {args.backfill:,} events a year old and more: "
        f"{backfill['cards']:.0f} cards queued  target 0  {_met(backfill['cards'] == 0)}  "
        f"(append {args.backfill / backfill['append']:,.0f}, "
        f"scorer {args.backfill / backfill['score']:,.0f} events/s)"
    )


def _met(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--batch", type=int, default=10_000, help="events per transaction")
    parser.add_argument(
        "--backfill", type=int, default=100_000, help="historical events (1000000: full size)"
    )
    parser.add_argument("--hot", type=int, default=5, help="hot leads posted to serve, one at a time")
    parser.add_argument(
        "--parts", choices=["all", "append"], default="all", help="append: raw and append alone"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="raw, append and scorer this many times: the median round"
    )
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="handoff-bench-") as temp:
        folder = Path(temp)
        backfill = args.backfill if args.parts == "all" else 0
        print(f"generating {args.events:,} events for {args.leads:,} leads, and {backfill:,} old ones…")
        files = {
            "live": generate(
                folder, "live", events=args.events, leads=args.leads, now=now, days=60, ordered=True
            ),
            "backfill": generate(
                folder,
                "backfill",
                events=backfill,
                leads=max(1, backfill // 10),
                now=now - timedelta(days=365),
                days=365,
                ordered=False,
            ),
        }
        for kind in ("sqlite", "postgres"):
            if args.db in (kind, "both"):
                run(kind, folder, args, files)


if __name__ == "__main__":
    main()

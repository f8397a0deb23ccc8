"""Digest computation time against one hand-written SQL query of the same headline counts.

    python benchmarks/digest.py [--leads 1000000] [--events 5000000] [--db sqlite|postgres|both]

Loads a year of synthetic history straight into the schema (bulk inserts, not the ingestion path):
leads, events, stage changes, handoffs with their signals, and decisions. Then, for the last full
week, times ``compute_digest`` (8 weeks of headline counts, medians, reasons, sources, campaigns,
score bands, calibration advice) against one hand-written query computing the 8 weeks' headline
counts (new MQLs, SQLs, decisions by outcome, SLA breaches). Best of 3 runs each. Target ratio ≤ 2.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from bot.runtime import build_runtime, utcnow  # noqa: E402
from bot.services.digest import compute_digest, last_full_week, monday_of, week_bounds  # noqa: E402
from bot.settings import Settings  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
RULES = [
    "seniority_vp",
    "size_mid_market",
    "target_industry",
    "pricing_page",
    "webinar_attended",
    "content_download",
    "hand_raise_demo",
    "email_click",
]
REASONS = ["no_fit", "bad_timing", "no_budget", "competitor", "duplicate"]
SOURCES = ["webinar", "ads", "organic", "event", "partner", "email", "referral", "social"]
TYPES = ["page_view", "email_open", "email_click", "content_download", "webinar_attended", "demo_request"]

HEADLINE = """
SELECT w.week,
  (SELECT count(*) FROM stage_changes s WHERE s.changed_at >= w.start_at AND s.changed_at < w.end_at
     AND s.to_stage = 'mql' AND s.from_stage IN ('lead', 'expired')) AS mqls,
  (SELECT count(*) FROM stage_changes s WHERE s.changed_at >= w.start_at AND s.changed_at < w.end_at
     AND s.to_stage = 'sql') AS sqls,
  (SELECT count(*) FROM decisions d WHERE d.decided_at >= w.start_at AND d.decided_at < w.end_at
     AND d.action = 'accept') AS accepted,
  (SELECT count(*) FROM decisions d WHERE d.decided_at >= w.start_at AND d.decided_at < w.end_at
     AND d.action = 'reject') AS rejected,
  (SELECT count(*) FROM decisions d WHERE d.decided_at >= w.start_at AND d.decided_at < w.end_at
     AND d.action = 'recycle') AS recycled,
  (SELECT count(*) FROM handoffs h WHERE h.sla_due_at >= w.start_at AND h.sla_due_at < w.end_at
     AND (h.decided_at IS NULL OR h.decided_at > h.sla_due_at)) AS breaches
FROM ({weeks}) AS w
"""


def _stamp(moment: datetime, sqlite: bool) -> Any:
    return f"{moment.replace(tzinfo=None):%Y-%m-%d %H:%M:%S.%f}" if sqlite else moment


def history(
    leads: int, events: int, now: datetime, sqlite: bool
) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
    """(table, rows) chunks of a year of synthetic history."""
    rng = random.Random(3)
    year = 365 * 86_400
    ts = lambda moment: _stamp(moment, sqlite)  # noqa: E731
    change_id = handoff_id = 0
    for start in range(0, leads, 50_000):
        lead_rows, change_rows, handoff_rows, signal_rows, decision_rows = [], [], [], [], []
        for lead in range(start + 1, min(leads, start + 50_000) + 1):
            born = now - timedelta(seconds=rng.randrange(year))
            source, campaign = rng.choice(SOURCES), f"campaign-{lead % 40}"
            lead_rows.append(
                (
                    lead,
                    f"lead{lead}@c{lead % 9000}.example",
                    f"c{lead % 9000}.example",
                    source,
                    campaign,
                    "lead",
                    0.0,
                    0.0,
                    0.0,
                    False,
                    "{}",
                    ts(born),
                    ts(born),
                    source,
                    campaign,
                )
            )
            if rng.random() > 0.3:
                continue
            mql_at = born + timedelta(hours=rng.randrange(1, 400))
            change_id += 1
            change_rows.append((change_id, lead, "lead", "mql", "score", 55.0, 20.0, 35.0, "{}", ts(mql_at)))
            if rng.random() > 0.35:
                continue
            sql_at = mql_at + timedelta(hours=rng.randrange(1, 300))
            change_id += 1
            handoff_id += 1
            change_rows.append(
                (change_id, lead, "mql", "sql", "hand raised", 90.0, 30.0, 60.0, "{}", ts(sql_at))
            )
            decided = sql_at + timedelta(minutes=rng.randrange(5, 3000)) if rng.random() < 0.85 else None
            action = rng.choices(["accept", "reject", "recycle"], [60, 25, 15])[0]
            handoff_rows.append(
                (
                    handoff_id,
                    lead,
                    change_id,
                    "hand raised",
                    action if decided else "open",
                    ts(sql_at),
                    ts(sql_at + timedelta(hours=1)),
                    ts(decided) if decided else None,
                    float(rng.randrange(40, 140)),
                )
            )
            signal_rows += [(handoff_id, rule, 10.0) for rule in rng.sample(RULES, 3)]
            if decided:
                reason = None if action == "accept" else rng.choice(REASONS)
                decision_rows.append(
                    (
                        handoff_id,
                        handoff_id,
                        lead,
                        action,
                        reason,
                        "URITA",
                        ts(decided),
                        (decided - sql_at).total_seconds(),
                    )
                )
        yield "leads", lead_rows
        yield "stage_changes", change_rows
        yield "handoffs", handoff_rows
        yield "handoff_signals", signal_rows
        yield "decisions", decision_rows
    for start in range(0, events, 200_000):
        yield (
            "events",
            [
                (
                    number,
                    f"evt-{number}",
                    rng.randrange(1, leads + 1),
                    rng.choice(TYPES),
                    ts(now - timedelta(seconds=rng.randrange(year))),
                    "{}",
                    None,
                    ts(now),
                )
                for number in range(start + 1, min(events, start + 200_000) + 1)
            ],
        )


COLUMNS = {
    "leads": "id, email, email_domain, source, campaign, stage, score, fit, engagement, disqualified, "
    "ledger, created_at, scored_at, first_source, first_campaign",
    "stage_changes": "id, lead_id, from_stage, to_stage, reason, score, fit, engagement, explanation, "
    "changed_at",
    "handoffs": "id, lead_id, stage_change_id, trigger, status, created_at, sla_due_at, decided_at, score",
    "handoff_signals": "handoff_id, rule_id, points",
    "decisions": "id, handoff_id, lead_id, action, reason, decided_by, decided_at, seconds_to_decide",
    "events": "id, event_id, lead_id, type, occurred_at, properties, rule_id, received_at",
}


def load(runtime: Any, leads: int, events: int, now: datetime) -> None:
    """Bulk-load the history (executemany on SQLite, COPY on PostgreSQL)."""
    sqlite = runtime.engine.dialect.name == "sqlite"
    with runtime.engine.begin() as connection:
        raw = connection.connection.driver_connection
        for table, rows in history(leads, events, now, sqlite):
            if not rows:
                continue
            if sqlite:
                marks = ", ".join("?" * len(rows[0]))
                raw.executemany(f"INSERT INTO {table} ({COLUMNS[table]}) VALUES ({marks})", rows)
            else:
                with raw.cursor().copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    if not sqlite:
        with runtime.engine.begin() as connection:
            connection.execute(text("ANALYZE"))


def best_of(runs: int, work: Any) -> float:
    """The fastest of ``runs`` timings of ``work()``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(url: str, leads: int, events: int, name: str) -> None:
    """Load, then time the digest against the hand-written query."""
    runtime = build_runtime(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    now = utcnow()
    started = time.perf_counter()
    load(runtime, leads, events, now)
    print(f"\n{name}: loaded {leads:,} leads and {events:,} events in {time.perf_counter() - started:.0f} s")
    zone = runtime.settings.zone
    monday = last_full_week(now, zone)
    weeks = [week_bounds(monday - timedelta(weeks=back), zone) for back in range(7, -1, -1)]
    sqlite = runtime.engine.dialect.name == "sqlite"
    selects = " UNION ALL ".join(
        f"SELECT {index} AS week, '{_stamp(start, sqlite)}' AS start_at, '{_stamp(end, sqlite)}' AS end_at"
        if sqlite
        else f"SELECT {index} AS week, TIMESTAMPTZ '{start.isoformat()}' AS start_at, "
        f"TIMESTAMPTZ '{end.isoformat()}' AS end_at"
        for index, (start, end) in enumerate(weeks)
    )
    query = text(HEADLINE.format(weeks=selects))
    report = compute_digest(uow=runtime.uow(), week_of=monday, zone=zone, model=runtime.model, now=now)
    with runtime.engine.connect() as connection:
        baseline_rows = connection.execute(query).all()
    assert baseline_rows[-1].mqls == report.week.new_mqls
    assert baseline_rows[-1].sqls == report.week.sqls
    assert baseline_rows[-1].accepted == report.week.accepted
    digest_time = best_of(
        3, lambda: compute_digest(uow=runtime.uow(), week_of=monday, zone=zone, model=runtime.model, now=now)
    )

    def baseline() -> None:
        with runtime.engine.connect() as connection:
            connection.execute(query).all()

    baseline_time = best_of(3, baseline)
    print(
        f"  week of {monday_of(monday)}: {report.week.new_mqls:,} new MQLs, {report.week.sqls:,} SQLs, "
        f"{report.week.decisions:,} decisions, {len(report.advice)} pieces of advice"
    )
    print(f"  digest (compute_digest)   {digest_time * 1000:9.1f} ms")
    print(f"  one hand-written query    {baseline_time * 1000:9.1f} ms")
    print(f"  ratio                     {digest_time / baseline_time:9.2f}  (target ≤ 2)")
    runtime.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory(prefix="handoff-digest-") as folder:
            measure(f"sqlite:///{folder}/digest.db", args.leads, args.events, "SQLite")
    if args.db in ("postgres", "both"):
        import psycopg

        schema = f"bench_{uuid.uuid4().hex[:10]}"
        conninfo = "host=127.0.0.1 port=5432 user=postgres dbname=test"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            measure(f"{PG}?options=-csearch_path%3D{schema}", args.leads, args.events, "PostgreSQL")
        finally:
            with psycopg.connect(conninfo, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()

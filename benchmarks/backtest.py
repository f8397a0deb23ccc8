"""A backtest against the ingest of the same events: both in one run, on one database.

    python benchmarks/backtest.py [--events 1000000] [--leads 100000] [--db sqlite|postgres|both]

``--events`` events over ``--leads`` leads (60 days, in the order they happened), plus a won or
lost outcome after the events for a third of the leads, are ingested as ``handoff ingest`` does
(append, then the scorer drained); then ``handoff backtest`` runs over the stored log (replay of
every lead under the model in memory, and its report). Target: backtest ≤ 2 × ingest. Each part
runs in a child process; nothing is asserted in a test.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fresh_database import fresh_database  # noqa: E402

TARGET = 2.0


def write_events(path: Path, *, events: int, leads: int, now: datetime) -> None:
    """The live stream in time order, then one outcome for a third of the leads."""
    from bot.terminal.sample import generate_events

    items = sorted(
        generate_events(leads=leads, events=events, now=now, days=60), key=lambda e: e["occurred_at"]
    )
    rng = random.Random(11)
    emails = sorted({item["email"] for item in items})
    with path.open("w") as out:
        for item in items:
            out.write(json.dumps(item) + "\n")
        for number, email in enumerate(emails):
            if rng.random() < 1 / 3:
                kind = "closed_won" if rng.random() < 0.4 else "closed_lost"
                outcome = {"event_id": f"out-{number}", "email": email, "type": kind, "properties": {}}
                out.write(
                    json.dumps(outcome | {"occurred_at": (now + timedelta(hours=1)).isoformat()}) + "\n"
                )


def ingest(url: str, source: str) -> float:
    """Seconds to append the file and drain the scorer, as ``handoff ingest`` does."""
    from bot.runtime import build_runtime
    from bot.services.event_input import parse_json_lines
    from bot.services.ingest import tune_garbage_collector_for_bulk_ingest
    from bot.settings import Settings

    tune_garbage_collector_for_bulk_ingest()
    runtime = build_runtime(Settings(_env_file=None, database_url=url, sales_channel="C0BENCH001"))  # type: ignore[call-arg]
    started, last = time.perf_counter(), 0
    with open(source, "rb") as lines:
        items = parse_json_lines(lines)
        while chunk := list(islice(items, 10_000)):
            last = max(last, runtime.append(chunk).last_event_id)
    runtime.drain(until=last, timeout=7200)
    seconds = time.perf_counter() - started
    runtime.close()
    return seconds


def backtest(url: str) -> tuple[float, float | None]:
    """Seconds for ``handoff backtest`` (replay and report), and the AUC it found."""
    from bot.runtime import build_runtime, utcnow
    from bot.services.backtest import BacktestSpec, replay_all
    from bot.services.backtest_report import backtest_report
    from bot.settings import Settings

    runtime = build_runtime(Settings(_env_file=None, database_url=url, sales_channel="C0BENCH001"))  # type: ignore[call-arg]
    started = time.perf_counter()
    spec = BacktestSpec(model=runtime.model, live=None, label="outcome", since=None, now=utcnow())
    report = backtest_report(replay_all(read_uow=runtime.read_uow, spec=spec), spec)
    seconds = time.perf_counter() - started
    runtime.close()
    return seconds, report.auc


def _in_child(function: object, *args: object) -> object:
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(function, args)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "events.jsonl"
        write_events(source, events=args.events, leads=args.leads, now=datetime.now(UTC) - timedelta(days=1))
        for kind in kinds:
            with fresh_database(kind, Path(folder) / kind) as url:
                ingested = _in_child(ingest, url, str(source))
                tested, auc = _in_child(backtest, url)  # type: ignore[misc]
            ratio = tested / ingested  # type: ignore[operator]
            verdict = "met" if ratio <= TARGET else "NOT met"
            print(
                f"{kind:8} {args.events:,} events: ingest {ingested:.1f} s, backtest {tested:.1f} s"
                f" (AUC {auc if auc is None else round(auc, 3)}) → ratio {ratio:.2f}"
                f" (target ≤ {TARGET:g}: {verdict})"
            )


if __name__ == "__main__":
    main()

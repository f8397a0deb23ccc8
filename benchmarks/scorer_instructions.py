"""The scorer's work counted in instructions, which do not vary with the machine's speed.

    python benchmarks/scorer_instructions.py [--events 20000] [--leads 2000]

Wall times on a shared machine swing by a third from one minute to the next; instructions do not.
This generates a live stream as ``benchmarks/ingest.py`` does, appends it to a fresh SQLite
database, then runs two parts, each under ``valgrind --tool=callgrind`` with collection switched on
only around the part: **raw**, the same rows written with ``executemany`` (the app's pragmas, same
indexes; the baseline), and **scorer**, ``Runtime.drain`` over the appended log with the clock
fixed, in one process (a second process shares the work; it does not shrink it). It prints
instructions per event for each and their ratio (SQLite's own work included; the ratio is not the
wall-time target's: raw's time is partly the disk's, which is no instruction). Needs valgrind;
takes about a minute at the default size. Compare code in turn with this, not ratios of wall
times across runs (2026-11-27: raw 28,564, scorer 213,418 instructions per event).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import _load_rows, append_and_score, generate, sqlite_events_table  # noqa: E402

NOW = datetime(2026, 11, 27, 12, tzinfo=UTC)
_COLLECTED = re.compile(r"Collected : (\d+)")


def _collecting(on: bool) -> None:
    """Switch callgrind's collection for this process (outside valgrind: nothing)."""
    if os.environ.get("HANDOFF_CALLGRIND"):
        switch = "on" if on else "off"
        subprocess.run(["callgrind_control", "-i", switch, str(os.getpid())], check=True, capture_output=True)


def raw_part(path: str, rows_file: str, batch: int) -> None:
    """The baseline: the rows written straight to an ``events`` table, ``batch`` per transaction."""
    rows = _load_rows(rows_file)
    connection, insert = sqlite_events_table(path)
    _collecting(True)
    for start in range(0, len(rows), batch):
        connection.execute("BEGIN")
        connection.executemany(insert, rows[start : start + batch])
        connection.execute("COMMIT")
    _collecting(False)
    connection.close()


def scorer_part(url: str) -> None:
    """``Runtime.drain`` over every event appended, the clock fixed."""
    from sqlalchemy import func, select

    from bot.runtime import build_runtime
    from bot.settings import Settings
    from storage.tables import EventRow

    settings = Settings(_env_file=None, database_url=url, sales_channel="C0BENCH001", scorer_workers=1)  # type: ignore[call-arg]
    runtime = build_runtime(settings)
    with runtime.read_uow() as uow:
        last = int(uow.session.execute(select(func.max(EventRow.id))).scalar_one())
    _collecting(True)
    runtime.drain(until=last, timeout=3600, now=NOW)
    _collecting(False)
    runtime.close()


def _instructions(part: str, *args: str) -> int:
    """Run this script's ``part`` under callgrind; the instructions collected."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--part",
        part,
        *args,
    ]
    env = os.environ | {"HANDOFF_CALLGRIND": "1", "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    found = _COLLECTED.findall(done.stderr)
    if not found:
        raise RuntimeError(f"callgrind reported no count for {part}: {done.stderr[-500:]}")
    return int(found[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--leads", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--part", choices=["raw", "scorer"], help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.part == "raw":
        raw_part(args.paths[0], args.paths[1], args.batch)
        return
    if args.part == "scorer":
        scorer_part(args.paths[0])
        return
    with tempfile.TemporaryDirectory(prefix="handoff-instructions-") as temp:
        folder = Path(temp)
        source, rows_file = generate(
            folder, "live", events=args.events, leads=args.leads, now=NOW, days=60, ordered=True
        )
        url = f"sqlite:///{folder / 'app.db'}"
        append_and_score(url, source, args.batch, False)
        raw = _instructions("raw", str(folder / "raw.db"), rows_file, "--batch", str(args.batch))
        scorer = _instructions("scorer", url)
    events = args.events
    print(f"SQLite, {events:,} events, {args.leads:,} leads (instructions per event)")
    print(f"  raw executemany  {raw / events:>12,.0f}")
    ratio = raw / scorer
    print(f"  scorer           {scorer / events:>12,.0f}  (raw's instructions / the scorer's: {ratio:.3f})")


if __name__ == "__main__":
    main()

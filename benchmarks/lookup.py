"""``/lead`` look-up time at a million leads, against an indexed email look-up in the same run.

Loads synthetic leads straight into a migrated database (bulk inserts, with their search terms),
then times, through the repository each query goes through in ``serve``:

- the baseline: ``LeadRepository.by_email`` (the unique index on email);
- ``LeadRepository.search`` for an email, a domain, a full name, a last name, a company prefix,
  a prefix matching too many leads, and a word matching nothing;
- the previous search (email OR domain OR name/company LIKE '%…%'), for comparison.

    python benchmarks/lookup.py [--leads 1000000] [--db sqlite|postgres|both]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.runtime import Runtime, build_runtime  # noqa: E402
from bot.settings import Settings  # noqa: E402
from storage.lead_search import terms_of  # noqa: E402

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
FIRST = [
    f"{syllable}{end}"
    for syllable in ("an", "be", "ca", "da", "el", "fa", "gi", "ho", "is", "jo")
    for end in ("na", "ro", "lia", "to", "mir", "sse", "ka", "dan", "vi", "lo")
] * 1
LAST_ROOTS = ["ruiz", "smith", "garcia", "kowal", "tanaka", "okafor", "muller", "rossi", "silva", "nguyen"]
OLD_SEARCH = (
    "SELECT id, email, score FROM leads WHERE email = :q OR email_domain = :q "
    "OR lower(name) LIKE :like OR lower(company) LIKE :like ORDER BY score DESC LIMIT 11"
)


def synthetic_leads(count: int) -> list[tuple[Any, ...]]:
    """(id, email, domain, name, company, score): ~20 leads per domain, ~200 per last name."""
    rng = random.Random(7)
    rows = []
    for lead_id in range(1, count + 1):
        first = rng.choice(FIRST)
        last = f"{rng.choice(LAST_ROOTS)}{rng.randrange(count // 2000 + 1)}"
        domain = f"co{rng.randrange(max(1, count // 20))}.example"
        company = f"Company {domain.split('.')[0].upper()} Ltd"
        rows.append(
            (lead_id, f"{first}.{last}.{lead_id}@{domain}", domain, f"{first} {last}", company, rng.random())
        )
    return rows


def load(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    """Bulk-insert the leads and their search terms."""
    lead_rows = [
        (*row, "lead", 0.0, 0.0, False, "{}", "2026-11-20 10:00:00", "2026-11-20 10:00:00") for row in rows
    ]
    term_rows = [(term, row[0]) for row in rows for term in terms_of(row[3], row[4])]
    columns = (
        "id, email, email_domain, name, company, score, stage, fit, engagement, disqualified, ledger, "
        "created_at, scored_at"
    )
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "sqlite":
            cursor = raw.cursor()
            cursor.execute("BEGIN")
            cursor.executemany(f"INSERT INTO leads ({columns}) VALUES ({', '.join('?' * 13)})", lead_rows)
            cursor.executemany("INSERT INTO lead_search_terms (term, lead_id) VALUES (?, ?)", term_rows)
            cursor.execute("COMMIT")
        else:
            cursor = raw.cursor()
            with cursor.copy(f"COPY leads ({columns}) FROM STDIN") as copy:
                for row in lead_rows:
                    copy.write_row(row)
            with cursor.copy("COPY lead_search_terms (term, lead_id) FROM STDIN") as copy:
                for row in term_rows:
                    copy.write_row(row)
            raw.commit()
            cursor.execute("ANALYZE leads")
            cursor.execute("ANALYZE lead_search_terms")
            raw.commit()
    finally:
        raw.close()


def timed(action: Callable[[], object], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def measure(url: str, leads: int, label: str) -> None:
    runtime = build_runtime(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    try:
        rows = synthetic_leads(leads)
        started = time.perf_counter()
        load(runtime.engine, rows)
        print(f"\n{label}: {leads:,} leads loaded in {time.perf_counter() - started:.0f} s")
        report(runtime, rows)
    finally:
        runtime.close()


def report(runtime: Runtime, rows: list[tuple[Any, ...]]) -> None:
    sample = rows[len(rows) // 2]
    email, domain, name, company = sample[1], sample[2], sample[3], sample[4]

    def by_email() -> object:
        with runtime.read_uow() as uow:
            return uow.leads.by_email(email)

    def search(query: str) -> Callable[[], object]:
        def run() -> object:
            with runtime.read_uow() as uow:
                return uow.leads.search(query, limit=11)

        return run

    def old(query: str) -> Callable[[], object]:
        def run() -> object:
            with runtime.read_uow() as uow:
                params = {"q": query.lower(), "like": f"%{query.lower()}%"}
                return uow.session.execute(text(OLD_SEARCH), params).all()

        return run

    for _ in range(50):
        by_email()
    baseline = statistics.median(timed(by_email, 500))
    cases = {
        "email": email,
        "domain": domain,
        "full name": name,
        "last name": name.split()[1],
        "company word": company.split()[1].lower(),
        "one letter (too many)": "a",
        "no match": "zzzz",
    }
    print(f"{'query':34} {'median ms':>10} {'p99 ms':>8} {'ratio':>7}  matches")
    print(f"{'baseline: by_email (index)':34} {baseline * 1000:10.3f} {'':>8} {1:7.1f}")
    for case, query in cases.items():
        samples = timed(search(query), 200)
        result: Any = search(query)()
        shown = "too many" if result.too_many else str(len(result.leads))
        median, p99 = statistics.median(samples), sorted(samples)[int(0.99 * len(samples))]
        print(
            f"{'search: ' + case:34} {median * 1000:10.3f} {p99 * 1000:8.3f} {median / baseline:7.1f}",
            shown,
        )
    for case in ("email", "last name"):
        samples = timed(old(cases[case]), 5)
        print(
            f"{'previous LIKE search: ' + case:34} {statistics.median(samples) * 1000:10.3f} "
            f"{max(samples) * 1000:8.3f} {statistics.median(samples) / baseline:7.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    args = parser.parse_args()
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as folder:
            measure(f"sqlite:///{folder}/lookup.db", args.leads, "SQLite")
    if args.db in ("postgres", "both"):
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        conninfo = "host=127.0.0.1 port=5432 user=postgres dbname=test"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            measure(f"{PG}?options=-csearch_path%3D{schema}", args.leads, "PostgreSQL")
        finally:
            with psycopg.connect(conninfo, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


if __name__ == "__main__":
    main()

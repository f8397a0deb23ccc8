import cProfile, pstats, sys, tempfile, time, json
from datetime import UTC, datetime
sys.path.insert(0, ".")
from bot.runtime import build_runtime
from bot.services.event_input import parse_json_lines
from bot.settings import Settings
from bot.terminal.sample import generate_events
from bot.services.ingest import tune_garbage_collector_for_bulk_ingest
tune_garbage_collector_for_bulk_ingest()
n = int(sys.argv[1]); leads = int(sys.argv[2]); args=[a for a in sys.argv[3:] if not a.startswith("--")]; url = args[0] if args else None
now = datetime(2026, 11, 1, tzinfo=UTC)
items = sorted(generate_events(leads=leads, events=n, now=now, days=60), key=lambda e: e["occurred_at"])
lines = [json.dumps(i, default=str).encode() + b"\n" for i in items]
d = tempfile.mkdtemp()
url = url or f"sqlite:///{d}/p.db"
rt = build_runtime(Settings(_env_file=None, database_url=url, sales_channel="C0BENCH001", scorer_chunk=int(__import__("os").environ.get("CHUNK","5000"))))
t = time.perf_counter()
last = 0
parsed = list(parse_json_lines(lines))
for s in range(0, len(parsed), 10000):
    r = rt.append(parsed[s:s+10000]); last = max(last, r.last_event_id)
t1 = time.perf_counter()
pr = cProfile.Profile() if "--prof" in sys.argv else None
if pr: pr.enable()
rt.drain(until=last, timeout=3600)
if pr: pr.disable()
t2 = time.perf_counter()
print(f"append {t1-t:.2f}s scorer {t2-t1:.2f}s  ({n/(t2-t1):.0f} ev/s)")
if pr:
    pstats.Stats(pr).sort_stats("cumulative").print_stats(45)

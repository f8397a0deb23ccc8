"""Ack latency of signed button clicks and ``/lead`` commands through ``handoff serve``, under ingest load.

Three processes besides this one: ``handoff serve``; a bare Bolt app in the same FastAPI mount (its
listeners only ack), the baseline; and a loader posting events to serve's ``/v1/events`` at
``--ingest-rate`` events per second from a few threads. ``serve`` records a real decision for each
click (each on a different handoff) and looks a real lead up for each ``/lead``, answering through
the command's ``response_url`` on the fake Slack, whose arrival time is reported too.

    python benchmarks/ack.py [--clicks 200] [--rounds 2] [--ingest-rate 4000] [--db sqlite|postgres]

Prints p50 and p99 of each ack for both servers and their ratio, the ``/lead`` answer time, and
the ingest rate reached while measuring. Target: p99 under 1 s at 4,000 events/s (Slack allows 3 s).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fresh_database import fresh_database  # noqa: E402

from tests.builders import FIT_LEAD, event  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.slack_requests import (  # noqa: E402
    BOT_TOKEN,
    SIGNING_SECRET,
    block_action,
    interactive,
    slash_command,
)

CHANNEL = "C0SALES001"
API_TOKEN = "bench-api-token-0123456789"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
BATCH = 500
LOAD_THREADS = 4
LOAD_SECONDS = 120


def bare_server(port: int) -> None:
    """The baseline: a Bolt app whose listeners only ack, in the same FastAPI mount as serve."""
    import uvicorn
    from fastapi import FastAPI
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.slack import ids
    from bot.slack.app import mount

    client = WebClient(token=BOT_TOKEN, base_url=os.environ["SLACK_API_URL"])
    bolt = App(
        client=client,
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
        request_verification_enabled=False,
    )

    @bolt.action(ids.ACCEPT)
    def accept(ack: Ack) -> None:
        ack()

    @bolt.command("/lead")
    def lead(ack: Ack) -> None:
        ack()

    api = FastAPI()
    mount(api, bolt, signing_secret=SIGNING_SECRET)
    uvicorn.run(api, host="127.0.0.1", port=port, log_level="warning")


def loader(url: str, rate: float, status_file: str) -> None:
    """Post events at ``rate`` per second from a few threads; write the count sent every 0.5 s.

    Bodies are built before the clock starts (JSON of new events, LOAD_SECONDS' worth), so that
    the loader's own work does not limit the rate; after that they are posted again (duplicates).
    """
    bodies = _load_bodies(int(rate * LOAD_SECONDS / BATCH))
    counted = [0]
    lock = threading.Lock()
    interval = BATCH * LOAD_THREADS / rate
    cursor = itertools.count()

    def send() -> None:
        with httpx.Client(timeout=60, headers=AUTH | {"Content-Type": "application/json"}) as client:
            next_at = time.monotonic()
            while True:
                answer = client.post(f"{url}/v1/events", content=bodies[next(cursor) % len(bodies)])
                with lock:
                    counted[0] += BATCH if answer.status_code == 200 else 0
                next_at += interval
                time.sleep(max(0.0, next_at - time.monotonic()))

    for _ in range(LOAD_THREADS):
        threading.Thread(target=send, daemon=True).start()
    while True:
        time.sleep(0.5)
        Path(status_file).write_text(f"{time.monotonic()} {counted[0]}")


def _load_bodies(count: int) -> list[bytes]:
    numbers = itertools.count()
    return [
        json.dumps(
            [
                event(f"load{next(numbers) % 50_000}@load{n % 997}.io", "page_view", lead=FIT_LEAD)
                for n in range(BATCH)
            ]
        ).encode()
        for _ in range(count)
    ]


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_up(url: str) -> None:
    for _ in range(400):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


FAILED: dict[str, int] = {}


def _timed_post(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], name: str = ""
) -> float:
    """Seconds until the answer; an answer other than 200 (Bolt's 404 when no ack came in 3 s) is counted."""
    started = time.perf_counter()
    answer = client.post(f"{url}/slack/events", content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        FAILED[name] = FAILED.get(name, 0) + 1
    return elapsed


def _click(handoff_id: int) -> tuple[bytes, dict[str, str]]:
    payload = block_action(
        action_id="handoff_accept", value=str(handoff_id), user="UREP", channel=CHANNEL, message_ts="1.000100"
    )
    return interactive(payload)


def _make_handoffs(url: str, count: int) -> list[int]:
    events = []
    for number in range(count):
        email = f"bench{number}@acme.io"
        events += [event(email, lead=FIT_LEAD), event(email, "demo_request")]
    httpx.post(f"{url}/v1/events?wait=60", json=events, headers=AUTH, timeout=120)  # scored before reading
    ids = []
    for number in range(count):
        lead = httpx.get(f"{url}/v1/leads/bench{number}@acme.io", headers=AUTH, timeout=10).json()
        ids.append(lead["handoffs"][0]["id"])
    return ids


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _loaded_rate(status_file: Path) -> tuple[float, int]:
    try:
        stamp, count = status_file.read_text().split()
    except (OSError, ValueError):
        return time.monotonic(), 0
    return float(stamp), int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--clicks", type=int, default=200, help="clicks and /lead commands per server per round"
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--ingest-rate", type=float, default=4000, help="events per second; 0 for none")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return
    if args.load:
        loader(args.load[0], float(args.load[1]), args.load[2])
        return
    with (
        tempfile.TemporaryDirectory() as folder,
        fresh_database(args.db, Path(folder) / "bench") as database_url,
        FakeSlack(tokens=[BOT_TOKEN], rate_per_second=1000) as slack,
    ):
        slack.set_channel(CHANNEL)
        slack.set_members(CHANNEL, ["UREP"])
        times, answers, rate = _run(args, folder, database_url, slack)
    _report(times, answers, rate, args)


def _run(
    args: argparse.Namespace, folder: str, database_url: str, slack: FakeSlack
) -> tuple[dict[str, list[float]], list[float], float]:
    serve_port, bare_port = _free_port(), _free_port()
    env = os.environ | {
        "HANDOFF_DATABASE_URL": database_url,
        "HANDOFF_SALES_CHANNEL": CHANNEL,
        "HANDOFF_API_TOKEN": API_TOKEN,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.base_url,
        "HANDOFF_POST_RATE": "50",
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    serve_url, bare_url = f"http://127.0.0.1:{serve_port}", f"http://127.0.0.1:{bare_port}"
    servers = [
        subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", str(serve_port)], env=env, cwd=folder, **quiet
        ),
        subprocess.Popen([sys.executable, __file__, "--bare-server", str(bare_port)], env=env, **quiet),
    ]
    status_file = Path(folder) / "load-status"
    try:
        _wait_up(f"{serve_url}/healthz")
        _wait_up(f"{bare_url}/docs")
        handoffs = _make_handoffs(serve_url, args.clicks * args.rounds)
        if args.ingest_rate:
            load = [sys.executable, __file__, "--load", serve_url, str(args.ingest_rate), str(status_file)]
            servers.append(subprocess.Popen(load, env=env, **quiet))
            deadline = time.monotonic() + 120
            while not status_file.exists() and time.monotonic() < deadline:
                time.sleep(0.2)  # the loader builds its bodies first
            time.sleep(3)  # let the load settle
        times: dict[str, list[float]] = {
            "click serve": [],
            "click bare": [],
            "/lead serve": [],
            "/lead bare": [],
        }
        sent_at: list[float] = []
        loaded_from = _loaded_rate(status_file)
        with httpx.Client(timeout=30) as client:
            for handoff_id in handoffs[:20]:  # warm the bare server up
                _timed_post(client, bare_url, *_click(handoff_id))
            for number, handoff_id in enumerate(handoffs):
                times["click serve"].append(
                    _timed_post(client, serve_url, *_click(handoff_id), "click serve")
                )
                times["click bare"].append(_timed_post(client, bare_url, *_click(handoff_id), "click bare"))
                command = slash_command(
                    text=f"bench{number}@acme.io", user="UREP", response_url=slack.response_url
                )
                sent_at.append(time.time())
                times["/lead serve"].append(_timed_post(client, serve_url, *command, "/lead serve"))
                times["/lead bare"].append(_timed_post(client, bare_url, *command, "/lead bare"))
        loaded_to = _loaded_rate(status_file)
        rate = (loaded_to[1] - loaded_from[1]) / max(loaded_to[0] - loaded_from[0], 1e-9)
        deadline = time.monotonic() + 30
        while len(slack.responses()) < len(sent_at) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        for server in reversed(servers):
            server.terminate()
            server.wait(10)
    arrivals = [call.at for call in slack.all_calls("response_url")]
    answers = [arrived - sent for sent, arrived in zip(sent_at, arrivals, strict=False)]
    return times, answers, rate


def _report(
    times: dict[str, list[float]], answers: list[float], rate: float, args: argparse.Namespace
) -> None:
    target = f"{args.ingest_rate:,.0f}"
    print(f"database {args.db}; ingest load: target {target} events/s, reached {rate:,.0f} events/s")
    print(f"{'':14} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, samples in [*times.items(), ("/lead answer", answers)]:
        if samples:
            print(
                f"{name:14} {_percentile(samples, 0.5) * 1000:8.1f} {_percentile(samples, 0.99) * 1000:8.1f} "
                f"{max(samples) * 1000:8.1f}"
            )
    for kind in ("click", "/lead"):
        serve, bare = times[f"{kind} serve"], times[f"{kind} bare"]
        print(
            f"{kind} ratio to bare Bolt: p50 {_percentile(serve, 0.5) / _percentile(bare, 0.5):.2f}, "
            f"p99 {_percentile(serve, 0.99) / _percentile(bare, 0.99):.2f}"
        )
    print(
        f"{len(times['click serve'])} of each; /lead answers received: {len(answers)} (target p99 < 1000 ms)"
    )


if __name__ == "__main__":
    main()

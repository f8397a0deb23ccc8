"""Latency of a signed button click through ``handoff serve`` to its HTTP 200, against a bare Bolt app.

Both servers run as their own uvicorn process with the same FastAPI + Bolt mount (dispatch in a
worker thread); the baseline's only listener acks. ``serve`` records a real decision for every
click (each click decides a different handoff), then updates the card through the fake Slack.

    python benchmarks/ack.py [--clicks 300] [--rounds 3]

Prints p50 and p99 for both and their ratio. Target: p99 ratio ≤ 1.5, p99 well under 3 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.builders import FIT_LEAD, event  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET, block_action, interactive  # noqa: E402

CHANNEL = "C0SALES001"
API_TOKEN = "bench-api-token-0123456789"


def bare_server(port: int) -> None:
    """The baseline: a Bolt app whose only listener acks, in the same FastAPI mount as serve."""
    import uvicorn
    from fastapi import FastAPI
    from slack_bolt import Ack, App
    from slack_sdk import WebClient

    from bot.slack import ids
    from bot.slack.app import mount

    client = WebClient(token=BOT_TOKEN, base_url=os.environ["SLACK_API_URL"])
    bolt = App(client=client, signing_secret=SIGNING_SECRET, token_verification_enabled=False)

    @bolt.action(ids.ACCEPT)
    def accept(ack: Ack) -> None:
        ack()

    api = FastAPI()
    mount(api, bolt, signing_secret=SIGNING_SECRET)
    uvicorn.run(api, host="127.0.0.1", port=port, log_level="warning")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_up(url: str) -> None:
    for _ in range(200):
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not start")


def _click(client: httpx.Client, url: str, handoff_id: int, user: str) -> float:
    body, headers = interactive(
        block_action(
            action_id="handoff_accept",
            value=str(handoff_id),
            user=user,
            channel=CHANNEL,
            message_ts="1.000100",
        )
    )
    started = time.perf_counter()
    answer = client.post(f"{url}/slack/events", content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"click answered {answer.status_code}: {answer.text}")
    return elapsed


def _make_handoffs(url: str, count: int) -> list[int]:
    events = []
    for number in range(count):
        email = f"bench{number}@acme.io"
        events += [event(email, lead=FIT_LEAD), event(email, "demo_request")]
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    httpx.post(f"{url}/v1/events", json=events, headers=auth, timeout=60)
    ids = []
    for number in range(count):
        lead = httpx.get(f"{url}/v1/leads/bench{number}@acme.io", headers=auth, timeout=10).json()
        ids.append(lead["handoffs"][0]["id"])
    return ids


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=300, help="clicks per server per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        bare_server(args.bare_server)
        return

    from bot.slack import ids as slack_ids

    assert slack_ids.ACCEPT == "handoff_accept", "update the payload's action id"
    with (
        tempfile.TemporaryDirectory() as folder,
        FakeSlack(tokens=[BOT_TOKEN], rate_per_second=1000) as slack,
    ):
        slack.set_channel(CHANNEL)
        slack.set_members(CHANNEL, ["UREP"])
        serve_port, bare_port = _free_port(), _free_port()
        env = os.environ | {
            "HANDOFF_DATABASE_URL": f"sqlite:///{folder}/bench.db",
            "HANDOFF_SALES_CHANNEL": CHANNEL,
            "HANDOFF_API_TOKEN": API_TOKEN,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.base_url,
            "HANDOFF_POST_RATE": "50",
        }
        servers = [
            subprocess.Popen(
                [sys.executable, "-m", "bot", "serve", "--port", str(serve_port)],
                env=env,
                cwd=folder,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [sys.executable, __file__, "--bare-server", str(bare_port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        try:
            serve_url, bare_url = f"http://127.0.0.1:{serve_port}", f"http://127.0.0.1:{bare_port}"
            _wait_up(f"{serve_url}/healthz")
            _wait_up(f"{bare_url}/docs")
            handoffs = _make_handoffs(serve_url, args.clicks * args.rounds)
            times: dict[str, list[float]] = {"serve": [], "bare Bolt": []}
            with httpx.Client(timeout=10) as client:
                for _ in range(20):  # warm both up
                    _click(client, bare_url, 0, "UREP")
                for round_number in range(args.rounds):
                    chunk = handoffs[round_number * args.clicks : (round_number + 1) * args.clicks]
                    for handoff_id in chunk:
                        times["serve"].append(_click(client, serve_url, handoff_id, "UREP"))
                        times["bare Bolt"].append(_click(client, bare_url, handoff_id, "UREP"))
            _wait_for_updates(slack, len(handoffs))
        finally:
            for server in servers:
                server.terminate()
                server.wait(10)
        decided = sum(1 for call in slack.calls("chat.update"))
    _report(times, decided)


def _wait_for_updates(slack: FakeSlack, count: int, *, patience: float = 120.0) -> None:
    """Let the worker post the remaining card updates (at the channel's pace), within ``patience``."""
    deadline = time.monotonic() + patience
    while len(slack.calls("chat.update")) < count and time.monotonic() < deadline:
        time.sleep(0.5)


def _report(times: dict[str, list[float]], decided: int) -> None:
    print(f"{'':10} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    for name, samples in times.items():
        print(
            f"{name:10} {_percentile(samples, 0.5) * 1000:8.2f} {_percentile(samples, 0.99) * 1000:8.2f} "
            f"{statistics.fmean(samples) * 1000:8.2f}"
        )
    serve, bare = times["serve"], times["bare Bolt"]
    print(
        f"ratio p50 {_percentile(serve, 0.5) / _percentile(bare, 0.5):.2f}, "
        f"p99 {_percentile(serve, 0.99) / _percentile(bare, 0.99):.2f} (target p99 ≤ 1.5, p99 ≪ 3000 ms)"
    )
    print(f"{len(serve)} clicks each; cards updated in the fake Slack: {decided}")


if __name__ == "__main__":
    main()

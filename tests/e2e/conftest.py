"""A real ``serve`` stack on loopback: uvicorn in a thread, pointed at the fake Slack Web API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from bot.entrypoints.server import build_server
from bot.runtime import Runtime, build_runtime
from bot.slack.delivery import DeliveryWorker
from bot.slack.socket_mode import SocketHandler
from tests.conftest import API_TOKEN, PG_CONNINFO, SALES_CHANNEL, make_settings
from tests.e2e.ports import free_port
from tests.e2e.transport import HttpTransport, SocketTransport, Transport
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import APP_TOKEN, BOT_TOKEN, SIGNING_SECRET

MEMBERS = ["URITA", "UBEN"]


@pytest.fixture
def cli_env(
    database_url: str, fake_slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """The environment of a ``handoff`` command run in a fresh folder against the fake Slack."""
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "HANDOFF_DATABASE_URL": database_url,
        "HANDOFF_SALES_CHANNEL": SALES_CHANNEL,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": fake_slack.base_url,
    }.items():
        monkeypatch.setenv(name, value)
    return tmp_path


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    with FakeSlack(tokens=[BOT_TOKEN], app_tokens=[APP_TOKEN], rate_per_second=50) as slack:
        slack.set_channel(SALES_CHANNEL, bot_is_member=True)
        slack.set_members(SALES_CHANNEL, MEMBERS)
        yield slack


@dataclass
class Served:
    """A running ``serve`` stack: its base URL, runtime, worker and Bolt app."""

    url: str
    runtime: Runtime
    worker: DeliveryWorker
    bolt_app: Any
    server: uvicorn.Server
    thread: threading.Thread

    def post(self, path: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """POST raw bytes, as Slack does."""
        return httpx.post(f"{self.url}{path}", content=body, headers=headers, timeout=10)

    def stop(self) -> None:
        """Shut uvicorn down (runs the lifespan's worker stop)."""
        self.server.should_exit = True
        self.thread.join(15)


def start_server(database_url: str, fake_slack: FakeSlack, **overrides: object) -> Served:
    """Build and start ``serve``'s ASGI app on a free port; returns once /healthz answers."""
    values: dict[str, object] = {
        "slack_bot_token": BOT_TOKEN,
        "slack_signing_secret": SIGNING_SECRET,
        "slack_api_url": fake_slack.base_url,
        "post_rate": 20,
    }
    settings = make_settings(database_url, **(values | overrides))
    runtime = build_runtime(settings)
    app, worker, bolt_app = build_server(runtime, poll_seconds=0.05)
    listening = socket.create_server(("127.0.0.1", 0))  # bound here: no other process can take it
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listening.getsockname()[1]}"
    wait_until(lambda: is_up(url), timeout=15, what="the server to answer /healthz")
    return Served(url, runtime, worker, bolt_app, server, thread)


def is_up(url: str) -> bool:
    """Whether ``url`` answers /healthz."""
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def serve_env(database_url: str, fake_slack: FakeSlack, **extra: str) -> dict[str, str]:
    """The environment of a ``handoff serve`` process talking to the fake Slack."""
    return (
        os.environ
        | {
            "HANDOFF_DATABASE_URL": database_url,
            "HANDOFF_SALES_CHANNEL": SALES_CHANNEL,
            "HANDOFF_API_TOKEN": API_TOKEN,
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": fake_slack.base_url,
            "HANDOFF_POST_RATE": "20",
        }
        | extra
    )


def start_serve_process(
    env: dict[str, str],
    cwd: Path,
    *,
    output: Path | None = None,
    log: Path | None = None,
    args: tuple[str, ...] = (),
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m bot serve`` on a free port; returns the process and its URL once it answers.
    Its output (stdout and stderr) is appended to ``output`` (or ``log``), if given."""
    process, url = launch_serve_process(env, cwd, output=output or log, args=args)
    wait_for_serve(process, url)
    return process, url


def launch_serve_process(
    env: dict[str, str], cwd: Path, *, output: Path | None = None, args: tuple[str, ...] = ()
) -> tuple[subprocess.Popen[bytes], str]:
    """``python -m bot serve`` on a free port, not waited for; stdout and stderr go to ``output``."""
    port = free_port()
    sink = output.open("ab") if output else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--port", str(port), *args],
        env=env,
        cwd=cwd,
        stdout=sink,
        stderr=subprocess.STDOUT if output else subprocess.DEVNULL,
    )
    if output:
        sink.close()  # type: ignore[union-attr]
    return process, f"http://127.0.0.1:{port}"


def wait_for_serve(process: subprocess.Popen[bytes], url: str, *, timeout: float = 30) -> None:
    """Wait until ``url`` answers /healthz; kill the process and fail if it never does."""
    try:
        wait_until(
            lambda: is_up(url) or process.poll() is not None, timeout=timeout, what="serve to answer /healthz"
        )
        assert process.poll() is None, f"handoff serve exited with {process.returncode}"
    except AssertionError:
        process.kill()
        process.wait(10)
        raise


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Ask a ``serve`` process to stop (SIGTERM), killing it if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def empty_postgres_url(postgres_available: None) -> Iterator[str]:
    """A URL to a freshly created, empty PostgreSQL database of its own, dropped after the test."""
    name = f"handoff_empty_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    params = dict(part.split("=", 1) for part in PG_CONNINFO.split())
    yield f"postgresql+psycopg://{params['user']}@{params['host']}:{params['port']}/{name}"
    with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture
def served(database_url: str, fake_slack: FakeSlack) -> Iterator[Served]:
    running = start_server(database_url, fake_slack)
    yield running
    running.stop()
    running.runtime.close()


@pytest.fixture(params=["http", "socket"])
def transport(request: pytest.FixtureRequest, served: Served, fake_slack: FakeSlack) -> Iterator[Transport]:
    """How Slack reaches the served app: signed POSTs, or a Socket Mode connection to the fake."""
    if request.param == "http":
        yield HttpTransport(served.url)
        return
    yield from _over_socket(served, fake_slack)


@pytest.fixture
def over_socket(served: Served, fake_slack: FakeSlack) -> Iterator[SocketTransport]:
    """The served app connected to the fake Slack's Socket Mode endpoint."""
    yield from _over_socket(served, fake_slack)


def _over_socket(served: Served, fake_slack: FakeSlack) -> Iterator[SocketTransport]:
    handler = SocketHandler(served.bolt_app, app_token=APP_TOKEN, ping_interval=1)
    handler.connect()  # type: ignore[no-untyped-call]
    fake_slack.socket.wait_connected()
    yield SocketTransport(fake_slack.socket)
    stop_socket_mode(handler, fake_slack)


def stop_socket_mode(handler: SocketHandler, fake: FakeSlack) -> None:
    """Close the app's connection from the fake's side first: the client's own close waits seconds
    for its receive loop otherwise."""
    handler.client.auto_reconnect_enabled = False
    fake.socket.drop()
    handler.close()  # type: ignore[no-untyped-call]


def wait_until(condition: Any, *, timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


AUTH = {"Authorization": f"Bearer {API_TOKEN}"}

"""Where ``handoff serve`` listens: HANDOFF_HOST and HANDOFF_PORT, with --host and --port winning."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import serve_env, stop_process, wait_for_serve
from tests.e2e.ports import free_port
from tests.fakes.slack_api import FakeSlack


def _serve(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bot", "serve", *args]
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_serve_listens_where_the_environment_says(fake_slack: FakeSlack, tmp_path: Path) -> None:
    port = free_port()
    env = serve_env(
        f"sqlite:///{tmp_path / 'h.db'}", fake_slack, HANDOFF_HOST="127.0.0.1", HANDOFF_PORT=str(port)
    )
    process = _serve(env, tmp_path)
    try:
        wait_for_serve(process, f"http://127.0.0.1:{port}")
    finally:
        stop_process(process)


def test_the_port_option_wins_over_the_environment(fake_slack: FakeSlack, tmp_path: Path) -> None:
    chosen, ignored = free_port(), free_port()
    env = serve_env(f"sqlite:///{tmp_path / 'h.db'}", fake_slack, HANDOFF_PORT=str(ignored))
    process = _serve(env, tmp_path, "--port", str(chosen))
    try:
        wait_for_serve(process, f"http://127.0.0.1:{chosen}")
    finally:
        stop_process(process)

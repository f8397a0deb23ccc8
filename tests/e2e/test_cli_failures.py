"""The real ``handoff`` command, run as a process: an unusable database or a refused Slack token is
one sentence and the documented exit code, never a traceback; Ctrl-C during ingest loses nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from storage.tables import EventRow
from tests.builders import event
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import wait_until
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import BOT_TOKEN, SIGNING_SECRET

COMMANDS = {
    "lead": ["lead", "ana@acme.io"],
    "ingest": ["ingest", "events.jsonl"],
    "db upgrade": ["db", "upgrade"],
    "digest": ["digest"],
    "serve": ["serve", "--port", "1"],
    "check": ["check"],
}


def handoff_env(**values: str) -> dict[str, str]:
    """The test's environment without any Handoff or Slack variable, plus ``values``."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("HANDOFF_", "SLACK_"))}
    return kept | {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_SIGNING_SECRET": SIGNING_SECRET} | values


def run_handoff(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120
    )


def run_every_command(url: str, cwd: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    (cwd / "events.jsonl").write_text(json.dumps(event()) + "\n")
    env = handoff_env(HANDOFF_DATABASE_URL=url, SLACK_API_URL="http://127.0.0.1:1/api/")
    with ThreadPoolExecutor(max_workers=3) as pool:
        runs = {name: pool.submit(run_handoff, args, env, cwd) for name, args in COMMANDS.items()}
    return {name: run.result() for name, run in runs.items()}


def assert_said_in_one_sentence(runs: dict[str, subprocess.CompletedProcess[str]], words: str) -> None:
    for name, run in runs.items():
        output = run.stdout + run.stderr
        assert "Traceback" not in output, f"{name}: {output}"
        if name == "check":  # check lists every part; the database line says it, exit 1 as documented
            assert run.returncode == 1, output
            line = next(line for line in output.splitlines() if "database" in line)
        else:
            assert run.returncode == 2, f"{name}: {output}"
            line = run.stderr.strip().splitlines()[-1]
            assert len(run.stderr.strip().splitlines()) <= 2, f"{name}: {run.stderr}"
        assert words in line, f"{name}: {output}"


@pytest.mark.slow
def test_refused_database_port_is_one_sentence_and_exit_2_for_every_command(tmp_path: Path) -> None:
    runs = run_every_command("postgresql://postgres@127.0.0.1:1/handoff", tmp_path)

    assert_said_in_one_sentence(runs, "Connection refused")


@pytest.mark.slow
def test_unwritable_sqlite_path_is_one_sentence_and_exit_2_for_every_command(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("not a folder")

    runs = run_every_command(f"sqlite:///{tmp_path / 'a-file' / 'handoff.db'}", tmp_path)

    assert_said_in_one_sentence(runs, "not writable")


@pytest.mark.slow
def test_database_url_that_is_no_url_is_one_sentence_and_exit_2_for_every_command(tmp_path: Path) -> None:
    runs = run_every_command("handoff.db", tmp_path)

    assert_said_in_one_sentence(runs, "HANDOFF_DATABASE_URL: must be a database URL")


@pytest.mark.slow
def test_missing_postgres_database_is_one_sentence_and_exit_2_for_every_command(
    postgres_available: None, tmp_path: Path
) -> None:
    runs = run_every_command("postgresql://postgres@127.0.0.1:5432/handoff_no_such_database", tmp_path)

    assert_said_in_one_sentence(runs, 'database "handoff_no_such_database" does not exist')


def test_refused_app_token_in_socket_mode_is_one_sentence_and_exit_2(
    fake_slack: FakeSlack, tmp_path: Path
) -> None:
    env = handoff_env(
        HANDOFF_DATABASE_URL=f"sqlite:///{tmp_path / 'handoff.db'}",
        SLACK_API_URL=fake_slack.base_url,
        SLACK_APP_TOKEN="xapp-1-A0REVOKED-0000000000",
    )
    del env["SLACK_SIGNING_SECRET"]  # socket mode does without it

    run = run_handoff(["serve", "--socket-mode", "--port", "1"], env, tmp_path)

    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines() == [
        "error: Slack refused SLACK_APP_TOKEN (invalid_auth): create an app-level token with "
        "connections:write on the app's Basic Information page"
    ]
    assert not (tmp_path / "handoff.db").exists(), "the token is tried before the database is touched"


def test_ctrl_c_during_ingest_keeps_committed_batches_and_a_rerun_finishes_the_job(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'handoff.db'}"
    lines = [json.dumps(event(event_id=f"evt-{n}", email=f"lead{n}@acme.io")) + "\n" for n in range(500)]
    env = handoff_env(HANDOFF_DATABASE_URL=url, HANDOFF_SALES_CHANNEL=SALES_CHANNEL)
    ingest = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", "-", "--batch-size", "100"],
        env=env,
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert ingest.stdin is not None
    ingest.stdin.writelines(lines[:250])  # two batches complete, the third waits for more input
    ingest.stdin.flush()
    wait_until(lambda: stored_events(url) >= 200, timeout=60, what="two batches to be committed")

    ingest.send_signal(signal.SIGINT)
    _, stderr = ingest.communicate(timeout=60)
    (tmp_path / "all.jsonl").write_text("".join(lines))
    rerun = run_handoff(["ingest", "all.jsonl"], env, tmp_path)

    assert ingest.returncode == 130
    assert "Traceback" not in stderr
    assert "the 200 events of the batches committed so far are stored" in stderr
    assert "re-run the same command" in stderr
    assert rerun.returncode == 0, rerun.stderr
    assert stored_events(url) == 500
    assert re.search(r"duplicates\s+200", rerun.stdout), rerun.stdout


def test_ctrl_c_while_a_file_is_read_ahead_reports_what_is_stored_and_leaves_no_worker(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'handoff.db'}"
    line = json.dumps(event(event_id="evt-{n}", email="lead{lead}@acme.io")) + "\n"
    big = tmp_path / "big.jsonl"
    big.write_text(
        "".join(line.replace("{n}", str(n)).replace("{lead}", str(n % 997)) for n in range(200_000))
    )
    env = handoff_env(HANDOFF_DATABASE_URL=url, HANDOFF_SALES_CHANNEL=SALES_CHANNEL)
    ingest = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(big), "--batch-size", "500"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(lambda: stored_events(url) >= 1000, timeout=60, what="two batches to be committed")

    ingest.send_signal(signal.SIGINT)
    _, stderr = ingest.communicate(timeout=60)

    assert ingest.returncode == 130, stderr
    assert "Traceback" not in stderr
    stored = stored_events(url)
    assert 1000 <= stored < 200_000
    assert f"the {stored:,} events of the batches committed so far are stored" in stderr
    assert not processes_reading(big), "the worker reading ahead ended with the command"


@pytest.mark.slow
def test_ctrl_c_while_a_window_is_scored_and_a_rerun_resumes_it_folding_each_event_once(
    tmp_path: Path,
) -> None:
    database = tmp_path / "handoff.db"
    url = f"sqlite:///{database}"
    line = json.dumps(event(event_id="evt-{n}", email="lead{lead}@acme.io", type="email_click")) + "\n"
    big = tmp_path / "big.jsonl"
    lines = (line.replace("{n}", str(n)).replace("{lead}", str(n % 3001)) for n in range(30_000))
    big.write_text("".join(lines))
    env = handoff_env(HANDOFF_DATABASE_URL=url, HANDOFF_SALES_CHANNEL=SALES_CHANNEL)
    ingest = subprocess.Popen(
        [sys.executable, "-m", "bot", "ingest", str(big), "--batch-size", "10000"],
        env=env,
        cwd=tmp_path,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until(
        lambda: in_wal_mode(database) and scorer_window_lead(database) > 0,
        timeout=120,
        what="the scorer's first group",
    )

    ingest.send_signal(signal.SIGINT)
    _, stderr = ingest.communicate(timeout=60)
    stopped_at = scorer_window_lead(database)
    rerun = run_handoff(["ingest", str(big)], env, tmp_path)

    assert ingest.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stopped_at > 0  # the window stood part way
    assert rerun.returncode == 0, rerun.stderr
    assert re.search(r"duplicates\s+30000", rerun.stdout), rerun.stdout
    assert scorer_window_lead(database) == 0  # the window was finished
    assert lead_clicks(database, "lead7@acme.io") == 10  # every event of it folded once
    assert lead_clicks(database, "lead2990@acme.io") == 10  # a lead of the window's second half too


def scorer_window_lead(database: Path) -> int:
    """The last lead scored in a window part way through (0: none, or no database yet)."""
    try:
        with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as connection:
            row = connection.execute("SELECT window_lead FROM scorer_state").fetchone()
    except sqlite3.Error:
        return 0
    return int(row[0] or 0) if row else 0


def in_wal_mode(database: Path) -> bool:
    """Whether the command has put its database in WAL mode: a reader holding the file before then
    could make that change fail ("database is locked")."""
    return Path(f"{database}-wal").exists()


def lead_clicks(database: Path, email: str) -> int:
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as connection:
        (ledger,) = connection.execute("SELECT ledger FROM leads WHERE email = ?", (email,)).fetchone()
    return int(json.loads(ledger)["email_click"][0])


def processes_reading(path: Path) -> list[str]:
    """Processes whose command line names ``path`` (a worker outliving its command would)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(entry.name)
        except OSError:
            continue
    return found


def stored_events(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(EventRow)).scalar_one())
    except Exception:
        return 0
    finally:
        engine.dispose()

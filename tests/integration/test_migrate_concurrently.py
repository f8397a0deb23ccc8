"""Several processes starting at once on a new database: one migrates it, the others wait and find it done."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from storage.database import make_engine
from storage.migrate import current_revision, head_revision


def test_three_upgrades_at_once_on_a_new_database_all_succeed(database_url: str, tmp_path: Path) -> None:
    env = os.environ | {"HANDOFF_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "bot", "db", "upgrade"]
    runs = [
        subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outcomes = [(run.wait(60), run.communicate()[1].decode()[-500:]) for run in runs]

    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    engine = make_engine(database_url)
    assert current_revision(engine) == head_revision()
    engine.dispose()

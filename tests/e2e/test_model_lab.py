"""The model lab end to end: outcomes in, a fitted model out that a direct regression cannot beat,
a backtest that agrees with the scores the service then serves, and a rescore that applies it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from scoring.evaluation import Scored, roc_auc
from tests.conftest import API_TOKEN
from tests.e2e.conftest import serve_env, start_serve_process
from tests.fakes.slack_api import FakeSlack
from tests.lab.population import Person, events, population

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
PEOPLE = population(1200)


@pytest.fixture
def env(database_url: str, fake_slack: FakeSlack, tmp_path: Path) -> dict[str, str]:
    environment = serve_env(database_url, fake_slack)
    source = tmp_path / "population.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in events(PEOPLE, now=datetime.now(UTC))))
    ingested = handoff(environment, tmp_path, "ingest", str(source))
    assert "refused     0" in ingested, ingested
    return environment


def handoff(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def direct_regression_auc(people: list[Person]) -> float:
    """A logistic regression fitted directly on the true features, held out 5-fold."""
    rows, labels = [person.features() for person in people], [int(person.converted) for person in people]
    aucs = []
    for train, test in StratifiedKFold(n_splits=5, shuffle=True, random_state=0).split(rows, labels):
        fitted = LogisticRegression(max_iter=5000).fit([rows[i] for i in train], [labels[i] for i in train])
        aucs.append(
            roc_auc_score([labels[i] for i in test], fitted.decision_function([rows[i] for i in test]))
        )
    return sum(aucs) / len(aucs)


def stored_scores(url: str) -> list[Scored]:
    with httpx.Client(base_url=url, headers=AUTH, timeout=30) as client, ThreadPoolExecutor(4) as pool:
        leads: list[dict[str, Any]] = list(
            pool.map(lambda p: client.get(f"/v1/leads/{p.email}").json(), PEOPLE)
        )
    return [
        Scored(lead["score"]["total"], lead["stage"], person.converted)
        for lead, person in zip(leads, PEOPLE, strict=True)
    ]


@pytest.mark.slow
def test_fit_backtest_and_rescore_recover_what_drives_conversion(env: dict[str, str], tmp_path: Path) -> None:
    builtin = json.loads(handoff(env, tmp_path, "backtest", "--json"))

    fit_output = handoff(env, tmp_path, "model", "fit", "--outcomes", "--out", "fitted.yaml")
    fitted_text = (tmp_path / "fitted.yaml").read_text()
    held_out = float(re.search(r"held-out ROC AUC ([0-9.]+)", fit_output).group(1))  # type: ignore[union-attr]
    backtested = json.loads(handoff(env, tmp_path, "backtest", "--model", "fitted.yaml", "--json"))
    dry = handoff(env, tmp_path, "rescore", "--all", "--model", "fitted.yaml", "--dry-run")
    handoff(env, tmp_path, "rescore", "--all", "--model", "fitted.yaml")

    assert abs(held_out - direct_regression_auc(PEOPLE)) <= 0.02
    assert backtested["auc"] > builtin["auc"] + 0.1
    assert re.search(r"\{id: no_title, .*field: title, when: \{missing: true\}", fitted_text)
    assert re.search(r"field: attributes\.plan, when: \{equals: (pro|free)\}", fitted_text)
    assert re.search(r"event: session, .*per: minutes, curve: log", fitted_text), fitted_text
    assert "dry run: nothing was changed" in dry
    served_url = _serve(env, tmp_path)
    try:
        auc_of_stored = roc_auc(stored_scores(served_url[1]))
    finally:
        served_url[0].terminate()
        served_url[0].wait(timeout=10)
    assert auc_of_stored is not None
    assert abs(backtested["auc"] - auc_of_stored) <= 0.005


def _serve(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    return start_serve_process(env | {"HANDOFF_SCORING_MODEL": str(tmp_path / "fitted.yaml")}, tmp_path)

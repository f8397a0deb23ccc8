"""``handoff rescore --all``: every lead re-derived under a model; a dry run changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from bot.model_source import builtin_model_text
from bot.runtime import build_runtime
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import make_settings

runner = CliRunner()
PRICING = {"url": "/pricing"}


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_SALES_CHANNEL", "C0SALES001")
    events = [
        event(lead=FIT_LEAD, properties=PRICING),
        event(properties=PRICING),
        event(type="webinar_attended"),
    ]
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(item) + "\n" for item in events))
    assert runner.invoke(app, ["ingest", "events.jsonl"]).exit_code == 0
    return tmp_path


def stricter_model(folder: Path) -> Path:
    """The built-in model with a higher MQL threshold and pricing views worth 2 points, not 10."""
    text = builtin_model_text().replace("name: builtin", "name: strict").replace("  mql: 50", "  mql: 90")
    text = text.replace(
        'where: {url: "*/pricing*"},\n     points: 10', 'where: {url: "*/pricing*"},\n     points: 2'
    )
    assert "mql: 90" in text
    assert "points: 2" in text
    path = folder / "strict.yaml"
    path.write_text(text)
    return path


def lead() -> dict:  # type: ignore[type-arg]
    return json.loads(runner.invoke(app, ["lead", "ana@acme.io", "--json"]).stdout)  # type: ignore[no-any-return]


def stored(shown: dict) -> tuple[object, ...]:  # type: ignore[type-arg]
    """What a rescore may change: stage, history, handoffs and the ledger's raw points."""
    raw = sorted((c["rule"], c["raw_points"]) for c in shown["score"]["contributions"])
    return shown["stage"], shown["stage_changes"], shown["handoffs"], raw


def test_a_dry_run_prints_the_moves_and_changes_nothing(env: Path) -> None:
    model = stricter_model(env)
    before = lead()

    result = runner.invoke(app, ["rescore", "--all", "--model", str(model), "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would move 1" in result.output
    assert "ana@acme.io: mql → lead" in result.output
    assert "dry run: nothing was changed" in result.output
    assert stored(lead()) == stored(before)


def test_a_rescore_re_derives_stage_history_and_score_under_the_new_model_only(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = stricter_model(env)
    assert (lead()["stage"], lead()["model"]) == ("mql", "builtin v1")

    result = runner.invoke(app, ["rescore", "--all", "--model", str(model), "--json"])
    monkeypatch.setenv("HANDOFF_SCORING_MODEL", str(model))
    after = lead()

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["moves"] == [{"from": "mql", "to": "lead", "leads": 1}]
    assert after["stage"] == "lead"
    assert after["model"] == "strict v1"
    assert [change["to_stage"] for change in after["stage_changes"]] == []
    pricing = next(c for c in after["score"]["contributions"] if c["rule"] == "pricing_page")
    assert pricing["raw_points"] == 4  # two views at the new model's 2 points, not the old 10


def test_rescore_without_all_says_what_it_would_do(env: Path) -> None:
    result = runner.invoke(app, ["rescore"])

    assert result.exit_code == 2
    assert "say --all" in result.output


def test_a_bad_model_file_is_refused_naming_its_field(env: Path) -> None:
    bad = env / "bad.yaml"
    bad.write_text("name: x\nthresholds: {mql: 0, sql: 100}\n")

    result = runner.invoke(app, ["rescore", "--all", "--model", str(bad)])

    assert result.exit_code == 2
    assert "thresholds.mql" in result.output


def test_a_scorer_started_with_another_model_re_derives_every_lead_under_it(
    database_url: str, tmp_path: Path
) -> None:
    first = build_runtime(make_settings(database_url))
    first.ingest(parsed(event(lead=FIT_LEAD, properties=PRICING), event(properties=PRICING)))
    first.ingest(parsed(event(type="webinar_attended")))
    with first.read_uow() as uow:
        assert uow.scorer.model()[1] == "builtin v1"
        assert uow.leads.by_email("ana@acme.io").stage.value == "mql"  # type: ignore[union-attr]
    first.close()

    second = build_runtime(make_settings(database_url, scoring_model=stricter_model(tmp_path)))
    second.score()

    with second.read_uow() as uow:
        assert uow.scorer.model()[1] == "strict v1"
        assert uow.leads.by_email("ana@acme.io").stage.value == "lead"  # type: ignore[union-attr]
    second.close()

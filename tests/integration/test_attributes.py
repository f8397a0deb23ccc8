"""Custom attributes: sent with events (JSON or CSV), kept with the lead, tested by the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from bot.model_source import builtin_model_text
from tests.builders import event

runner = CliRunner()


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_SALES_CHANNEL", "C0SALES001")
    model = tmp_path / "model.yaml"
    rule = "  - {id: pro_plan, label: Pro plan, field: attributes.plan, when: {equals: pro}, points: 30}\n"
    model.write_text(builtin_model_text().replace("fit:\n", "fit:\n" + rule, 1))
    monkeypatch.setenv("HANDOFF_SCORING_MODEL", str(model))
    return tmp_path


def lead(email: str = "ana@acme.io") -> dict:  # type: ignore[type-arg]
    return json.loads(runner.invoke(app, ["lead", email, "--json"]).stdout)  # type: ignore[no-any-return]


def test_attributes_are_laid_over_each_other_and_scored(env: Path) -> None:
    first = event(lead={"attributes": {"plan": "free", "seats": 3}})
    later = event(lead={"attributes": {"plan": "pro"}})
    (env / "events.jsonl").write_text(json.dumps(first) + "\n" + json.dumps(later) + "\n")

    result = runner.invoke(app, ["ingest", "events.jsonl"])
    shown = lead()

    assert result.exit_code == 0, result.output
    assert shown["attributes"] == {"plan": "pro", "seats": 3}
    assert "pro_plan" in [c["rule"] for c in shown["score"]["contributions"]]
    assert "attributes plan=pro · seats=3" in runner.invoke(app, ["lead", "ana@acme.io"]).output


def test_csv_attribute_columns_hold_numbers_as_numbers(env: Path) -> None:
    (env / "events.csv").write_text(
        "event_id,email,type,occurred_at,attributes.plan,attributes.seats\n"
        "c1,ana@acme.io,page_view,2026-11-20T10:00:00Z,pro,12\n"
    )

    result = runner.invoke(app, ["ingest", "events.csv"])

    assert result.exit_code == 0, result.output
    assert lead()["attributes"] == {"plan": "pro", "seats": 12}


@pytest.mark.parametrize(
    ("attributes", "field", "words"),
    [
        ({"plan": ["pro"]}, "lead.attributes.plan", "must be a string or a number"),
        ({"bad name": "x"}, "lead.attributes.bad name", "is not an attribute name"),
        ({f"a{n}": n for n in range(51)}, "lead.attributes", "more than 50 attributes"),
        ({"plan": "x" * 201}, "lead.attributes.plan", "longer than 200 characters"),
    ],
)
def test_bad_attributes_are_refused_naming_the_field(
    env: Path,
    attributes: dict,
    field: str,
    words: str,  # type: ignore[type-arg]
) -> None:
    (env / "events.jsonl").write_text(json.dumps(event(lead={"attributes": attributes})) + "\n")

    result = runner.invoke(app, ["ingest", "events.jsonl"])

    assert result.exit_code == 1
    assert f"line 1: {field}" in result.output
    assert words in result.output

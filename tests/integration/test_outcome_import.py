"""A CRM export of outcomes imported with ``handoff ingest``: idempotent, shown on the lead."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from tests.builders import FIT_LEAD, event

runner = CliRunner()


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_SALES_CHANNEL", "C0SALES001")
    (tmp_path / "events.jsonl").write_text(json.dumps(event(lead=FIT_LEAD)) + "\n")
    assert runner.invoke(app, ["ingest", str(tmp_path / "events.jsonl")]).exit_code == 0
    return tmp_path


def lead() -> dict:  # type: ignore[type-arg]
    shown = runner.invoke(app, ["lead", "ana@acme.io", "--json"])
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_an_outcome_export_marks_the_lead_with_its_latest_outcome_once(env: Path) -> None:
    export = env / "outcomes.csv"
    export.write_text(
        "email,outcome,occurred_at,amount,currency\n"
        'ana@acme.io,won,2026-11-24T10:00:00Z,"12,500",eur\n'
        "ana@acme.io,opportunity,2026-11-21T10:00:00Z,,\n"
    )

    first = runner.invoke(app, ["ingest", str(export)])
    again = runner.invoke(app, ["ingest", str(export)])
    shown = lead()

    assert first.exit_code == 0, first.output
    assert re.search(r"accepted\s+2\b", first.output), first.output
    assert re.search(r"accepted\s+0\b.*duplicates\s+2\b", again.output, re.DOTALL), again.output
    assert shown["outcome"] == {
        "kind": "won",
        "at": "2026-11-24T10:00:00+00:00",
        "amount": 12500.0,
        "currency": "EUR",
    }
    assert shown["score"]["total"] == lead()["score"]["total"]
    text = runner.invoke(app, ["lead", "ana@acme.io"]).output
    assert "outcome won on 2026-11-24 · 12,500 EUR" in text


def test_an_unknown_outcome_word_is_refused_with_its_line(env: Path) -> None:
    export = env / "outcomes.csv"
    export.write_text("email,outcome,occurred_at\nana@acme.io,maybe,2026-11-24T10:00:00Z\n")

    result = runner.invoke(app, ["ingest", str(export)])

    assert result.exit_code == 1
    assert "line 2: outcome" in result.output
    assert "'maybe' is not an outcome: use won, lost or opportunity" in result.output
    assert lead()["outcome"] is None

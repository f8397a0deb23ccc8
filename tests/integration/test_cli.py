"""The command line as a user runs it: ingest files, look leads up, and bad input of every kind."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.entrypoints.cli import app
from storage.migrate import head_revision
from tests.builders import FIT_LEAD, event

runner = CliRunner()


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setenv("HANDOFF_DATABASE_URL", database_url)
    monkeypatch.setenv("HANDOFF_SALES_CHANNEL", "C0SALES001")
    return tmp_path


def _jsonl(path: Path, events: list[dict]) -> Path:  # type: ignore[type-arg]
    path.write_text("".join(json.dumps(item) + "\n" for item in events))
    return path


def test_ingest_file_then_lead_json_shows_explained_score(env: Path) -> None:
    source = _jsonl(env / "events.jsonl", [event(lead=FIT_LEAD), event(type="demo_request")])

    ingested = runner.invoke(app, ["ingest", str(source)])
    shown = runner.invoke(app, ["lead", "ana@acme.io", "--json"])

    assert ingested.exit_code == 0, ingested.output
    assert "accepted" in ingested.output
    lead = json.loads(shown.stdout)
    assert lead["stage"] == "sql"
    assert any(c["rule"] == "hand_raise_demo" for c in lead["score"]["contributions"])


def test_same_file_twice_reports_all_duplicates(env: Path) -> None:
    source = _jsonl(env / "events.jsonl", [event(), event(type="email_open")])
    runner.invoke(app, ["ingest", str(source)])

    again = runner.invoke(app, ["ingest", str(source)])

    assert again.exit_code == 0
    assert re.search(r"accepted\s+0", again.output)
    assert re.search(r"duplicates\s+2", again.output)


def test_bad_lines_are_listed_by_line_number_and_exit_1(env: Path) -> None:
    source = env / "events.jsonl"
    source.write_text(json.dumps(event()) + "\n\n{oops\n" + json.dumps(event(email="bad")) + "\n")

    result = runner.invoke(app, ["ingest", str(source)])

    assert result.exit_code == 1
    assert "line 3: (json)" in result.output
    assert "line 4: email" in result.output
    shown = runner.invoke(app, ["lead", "ana@acme.io", "--json"])
    assert shown.exit_code == 0  # the good line was stored


def test_csv_with_lead_and_property_columns(env: Path) -> None:
    source = env / "events.csv"
    source.write_text(
        "event_id,email,type,occurred_at,url,title,company_size\n"
        "c1,ana@acme.io,page_view,2026-11-20T10:00:00Z,/pricing,VP Sales,250\n"
        "c2,ana@acme.io,page_view,not-a-date,/pricing,,\n"
    )

    result = runner.invoke(app, ["ingest", str(source)])
    lead = json.loads(runner.invoke(app, ["lead", "ana@acme.io", "--json"]).stdout)

    assert result.exit_code == 1
    assert "line 3: occurred_at" in result.output
    assert lead["profile"]["title"] == "VP Sales"
    assert lead["profile"]["company_size"] == 250
    assert lead["recent_events"][0]["properties"] == {"url": "/pricing"}


def test_ingest_from_standard_input(env: Path) -> None:
    result = runner.invoke(app, ["ingest", "-"], input=json.dumps(event()) + "\n")

    assert result.exit_code == 0
    assert runner.invoke(app, ["lead", "ana@acme.io"]).exit_code == 0


def test_missing_file_is_a_clear_error(env: Path) -> None:
    result = runner.invoke(app, ["ingest", "nope.jsonl"])

    assert result.exit_code == 2
    assert "cannot read nope.jsonl" in result.output


def test_unknown_lead_says_so(env: Path) -> None:
    result = runner.invoke(app, ["lead", "ghost@nowhere.io"])

    assert result.exit_code == 1
    assert "no lead found for ghost@nowhere.io" in result.output


def test_bad_setting_names_the_variable(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_SLA_MINUTES", "an hour")

    result = runner.invoke(app, ["lead", "ana@acme.io"])

    assert result.exit_code == 2
    assert "HANDOFF_SLA_MINUTES" in result.output


def test_bad_scoring_model_names_the_field(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = env / "model.yaml"
    model.write_text(
        "name: x\nthresholds: {mql: 50, sql: 100}\nengagement:\n"
        "  - {id: web, label: Web, event: page_view, points: 1, half_life_days: -2}\n"
    )
    monkeypatch.setenv("HANDOFF_SCORING_MODEL", str(model))

    result = runner.invoke(app, ["ingest", "-"], input="")

    assert result.exit_code == 2
    assert "engagement[0] (web).half_life_days" in result.output


def test_db_upgrade_reports_the_revision(env: Path) -> None:
    result = runner.invoke(app, ["db", "upgrade"])

    assert result.exit_code == 0
    assert f"database is at revision {head_revision()}" in result.output


def test_demo_shows_scores_cards_decisions_and_digest_without_slack(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)

    result = runner.invoke(app, ["demo", "--leads", "60", "--events", "900"])

    assert result.exit_code == 0, result.output
    assert re.search(r"accepted\s+900", result.output)
    assert "accepted 0, duplicates 900" in result.output
    assert "handoff cards are queued" in result.output
    assert "→ accept" in result.output
    assert "MQL quality" in result.output
    assert list(tmp_path.iterdir()) == []  # the demo's database is thrown away


def test_demo_saved_events_ingest_once_then_as_duplicates(env: Path) -> None:
    saved = env / "sample.jsonl"
    demo = runner.invoke(app, ["demo", "--leads", "40", "--events", "500", "--save-events", str(saved)])

    first = runner.invoke(app, ["ingest", str(saved)])
    again = runner.invoke(app, ["ingest", str(saved)])

    assert demo.exit_code == 0, demo.output
    assert len(saved.read_text().splitlines()) == 500
    assert first.exit_code == 0, first.output
    assert re.search(r"accepted\s+500", first.output)
    assert re.search(r"accepted\s+0", again.output)
    assert re.search(r"duplicates\s+500", again.output)


@pytest.mark.parametrize(
    ("arguments", "missing", "not_needed"),
    [
        (["serve"], "SLACK_BOT_TOKEN", None),
        (["serve"], "SLACK_SIGNING_SECRET", None),
        (["serve", "--socket-mode"], "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"),
    ],
)
def test_serve_without_its_slack_tokens_stops_before_touching_anything(
    arguments: list[str],
    missing: str,
    not_needed: str | None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HANDOFF_DATABASE_URL", f"sqlite:///{tmp_path / 'handoff.db'}")
    monkeypatch.setenv("HANDOFF_SALES_CHANNEL", "C0SALES001")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "abcdef0123456789abcdef")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1234-5678-abcdef")
    monkeypatch.delenv(missing, raising=False)
    if not_needed:
        monkeypatch.delenv(not_needed)

    result = runner.invoke(app, arguments)

    assert result.exit_code == 2
    assert f"{missing} is not set" in result.output
    assert not_needed is None or not_needed not in result.output
    assert list(tmp_path.iterdir()) == []


def test_version_option_prints_the_installed_version() -> None:
    from importlib.metadata import version

    result = runner.invoke(app, ["--version"])

    assert result.exit_code == 0
    assert result.stdout.strip() == f"handoff {version('handoff')}"


def test_latin1_csv_stores_accented_names_as_written(env: Path) -> None:
    source = env / "export.csv"
    source.write_bytes(
        "event_id,email,type,occurred_at,name,company\n"
        "l1,jurgen@acme.io,page_view,2026-11-20T10:00:00Z,Jürgen Müller,Müller & Söhne\n".encode("latin-1")
    )

    result = runner.invoke(app, ["ingest", str(source)])
    lead = json.loads(runner.invoke(app, ["lead", "jurgen@acme.io", "--json"]).stdout)

    assert result.exit_code == 0, result.output
    assert (lead["profile"]["name"], lead["profile"]["company"]) == ("Jürgen Müller", "Müller & Söhne")


def test_semicolon_csv_from_a_spreadsheet_is_read(env: Path) -> None:
    source = env / "export.csv"
    source.write_bytes(
        "\ufeffevent_id;email;type;occurred_at;url;company_size\r\n"
        "s1;ana@acme.io;page_view;2026-11-20T10:00:00Z;/pricing;1,5\r\n"
        "s2;ana@acme.io;page_view;2026-11-20T11:00:00Z;/demo;\r\n".encode()
    )

    result = runner.invoke(app, ["ingest", str(source)])
    lead = json.loads(runner.invoke(app, ["lead", "ana@acme.io", "--json"]).stdout)

    assert result.exit_code == 1  # "1,5" is no company size
    assert "line 2: lead.company_size" in result.output
    assert [event["properties"]["url"] for event in lead["recent_events"]] == ["/demo"]


def test_csv_with_another_separator_is_refused_naming_it(env: Path) -> None:
    source = env / "export.csv"
    source.write_text("event_id|email|type|occurred_at\nc1|ana@acme.io|page_view|2026-11-20T10:00:00Z\n")

    result = runner.invoke(app, ["ingest", str(source)])

    assert result.exit_code == 2
    assert "separated by '|': use commas, semicolons or tabs" in result.output
    assert runner.invoke(app, ["lead", "ana@acme.io"]).exit_code == 1


def test_hostile_lines_are_refused_and_the_good_lines_around_them_stored(env: Path) -> None:
    deep: dict = {}  # type: ignore[type-arg]
    for _ in range(300):
        deep = {"a": deep}
    lines = [
        json.dumps(event(event_id="g1")),
        json.dumps(event(lead={"name": "Ana\x00Ruiz"})),
        json.dumps(event(properties={"n": 2**64})),
        json.dumps(event(properties=deep)),
        json.dumps(event(properties={"x": float("nan")})),
        json.dumps(event(email="<script>@x.com")),
        json.dumps(event(event_id="g2")),
        json.dumps(event(event_id="g3")),
        json.dumps(event(properties={"[/x]": "\x1b[31m"})),  # Rich markup and an escape sequence
    ]
    source = env / "events.jsonl"
    source.write_bytes(
        b"\n".join(line.encode() for line in lines) + b"\n" + b'{"lead": {"name": "M\xfcller"}}\n'
    )

    result = runner.invoke(app, ["ingest", str(source)])
    lead = json.loads(runner.invoke(app, ["lead", "ana@acme.io", "--json"]).stdout)

    assert result.exit_code == 1
    for line, field in [
        (2, "lead.name"),
        (3, "properties.n"),
        (4, "(json)"),
        (5, "properties.x"),
        (6, "email"),
    ]:
        assert f"line {line}: {field}" in result.output
    assert "line 9: properties.[/x] — contains a control character (U+001B)" in result.output
    assert "line 10: (json) — not valid JSON: not UTF-8 text" in result.output
    assert {event["event_id"] for event in lead["recent_events"]} == {"g1", "g2", "g3"}

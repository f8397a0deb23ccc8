"""The Slack app manifests are valid against Slack's schema and point at the bot's one endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from bot.entrypoints.cli import app as cli
from bot.slack.manifest import ManifestError, app_manifest, schema_problems

REPO = Path(__file__).parents[2]
# Slack's own manifest schema (MIT, see LICENSE-manifest-schema beside it), shipped in the package.
SCHEMA = REPO / "bot" / "slack" / "schema" / "manifest.schema.1.0.0.json"
HTTP = REPO / "manifest.yml"
SOCKET = REPO / "manifest.socket-mode.yml"
SCOPES = {"chat:write", "commands", "channels:read", "groups:read", "users:read", "files:write"}


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def all_values(data: Any, key: str) -> list[Any]:
    """Every value stored under ``key`` anywhere in ``data``."""
    if isinstance(data, dict):
        own = [data[key]] if key in data else []
        return own + [found for item in data.values() for found in all_values(item, key)]
    if isinstance(data, list):
        return [found for item in data for found in all_values(item, key)]
    return []


@pytest.mark.parametrize("path", [HTTP, SOCKET], ids=["http", "socket-mode"])
def test_manifest_is_valid_against_slacks_schema(path: Path) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    validator_class.check_schema(schema)
    errors = sorted(validator_class(schema).iter_errors(load(path)), key=lambda error: list(error.path))
    assert not errors, "\n".join(f"{list(error.path)}: {error.message}" for error in errors)


@pytest.mark.parametrize("path", [HTTP, SOCKET], ids=["http", "socket-mode"])
def test_manifest_declares_the_bot(path: Path) -> None:
    manifest = load(path)
    assert manifest["display_information"]["name"] == "Handoff"
    features = manifest["features"]
    assert features["bot_user"]["always_online"] is True
    # Direct messages to the rep a card is assigned to land in the Messages tab, read-only.
    assert features["app_home"] == {
        "home_tab_enabled": True,
        "messages_tab_enabled": True,
        "messages_tab_read_only_enabled": True,
    }
    (lead,) = features["slash_commands"]
    assert lead["command"] == "/lead"
    assert lead["usage_hint"] == "ana@acme.io | acme.io | Ana Ruiz"
    assert lead["should_escape"] is False
    assert set(manifest["oauth_config"]["scopes"]["bot"]) >= SCOPES
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert settings["org_deploy_enabled"] is False
    assert settings["token_rotation_enabled"] is False


def test_http_manifest_sends_everything_to_slack_events() -> None:
    manifest = load(HTTP)
    settings = manifest["settings"]
    assert settings["socket_mode_enabled"] is False
    assert manifest["features"]["slash_commands"][0]["url"].endswith("/slack/events")
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")


def test_socket_mode_manifest_has_no_request_urls() -> None:
    manifest = load(SOCKET)
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert all_values(manifest, "request_url") == []
    assert all_values(manifest, "url") == []


def test_both_manifests_differ_only_in_transport() -> None:
    http, socket = load(HTTP), load(SOCKET)
    for manifest in (http, socket):
        manifest["settings"].pop("socket_mode_enabled")
        manifest["settings"]["interactivity"].pop("request_url", None)
        manifest["settings"]["event_subscriptions"].pop("request_url", None)
        manifest["features"]["slash_commands"][0].pop("url", None)
    assert http == socket


@pytest.mark.parametrize(
    ("path", "url"), [(HTTP, "https://handoff.example.com"), (SOCKET, None)], ids=["http", "socket-mode"]
)
def test_the_manifest_files_are_what_handoff_manifest_prints(path: Path, url: str | None) -> None:
    assert load(path) == app_manifest(url=url)


@pytest.mark.parametrize(
    ("url", "endpoint"),
    [
        ("https://handoff.example.com", "https://handoff.example.com/slack/events"),
        ("https://acme.io/handoff/", "https://acme.io/handoff/slack/events"),
        ("https://acme.io:8443/slack/events", "https://acme.io:8443/slack/events"),
    ],
)
def test_a_filled_manifest_points_every_url_at_the_hosts_endpoint(url: str, endpoint: str) -> None:
    filled = app_manifest(url=url, name="Handoff (Acme)")

    assert set(all_values(filled, "request_url")) | set(all_values(filled, "url")) == {endpoint}
    assert "YOUR-HOST" not in json.dumps(filled)
    assert schema_problems(filled) == []
    assert filled["display_information"]["name"] == "Handoff (Acme)"


@pytest.mark.parametrize(
    "url", ["http://acme.io", "acme.io", "https://", "https://acme.io/?x=1", "ftp://acme.io"]
)
def test_a_url_slack_would_not_call_is_refused_in_one_sentence(url: str) -> None:
    with pytest.raises(ManifestError, match="--url"):
        app_manifest(url=url)


@pytest.mark.parametrize("name", ["", "   ", "x" * 36])
def test_a_name_slack_would_refuse_is_refused(name: str) -> None:
    with pytest.raises(ManifestError, match="name"):
        app_manifest(url=None, name=name)


def test_the_schema_check_finds_what_slack_would_refuse() -> None:
    broken = app_manifest(url=None)
    broken["settings"]["event_subscriptions"]["bot_events"] = ["not_an_event"]
    del broken["display_information"]["name"]

    problems = schema_problems(broken)

    assert any(problem.startswith("display_information") for problem in problems)


def test_handoff_manifest_prints_a_filled_manifest_ready_to_paste() -> None:
    printed = CliRunner().invoke(cli, ["manifest", "--url", "https://handoff.example.com"])

    assert printed.exit_code == 0
    filled = yaml.safe_load(printed.stdout)
    assert filled == app_manifest(url="https://handoff.example.com")
    assert "YOUR-HOST" not in printed.stdout


@pytest.mark.parametrize(
    "args", [[], ["--url", "https://a.io", "--socket-mode"], ["--url", "http://a.io"]], ids=str
)
def test_handoff_manifest_without_one_https_host_or_socket_mode_is_one_sentence(args: list[str]) -> None:
    printed = CliRunner().invoke(cli, ["manifest", *args])

    assert printed.exit_code == 2
    assert printed.stdout == ""
    assert "error:" in printed.stderr
    assert len(printed.stderr.strip().splitlines()) == 1

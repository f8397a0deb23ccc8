"""The Slack app manifests are valid against Slack's schema and point at the bot's one endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

REPO = Path(__file__).parents[2]
# Slack's own manifest schema (MIT, see LICENSE-manifest-schema beside it), kept with the tests so a
# fresh clone validates without the shared folder.
SCHEMA = Path(__file__).parents[1] / "fixtures" / "slack" / "manifest.schema.1.0.0.json"
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
    assert features["app_home"] == {"home_tab_enabled": True, "messages_tab_enabled": False}
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

"""The Slack app manifest, filled for one host (or for Socket Mode) and checked against Slack's
own schema (shipped beside this module, MIT, see ``schema/LICENSE-manifest-schema``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

import jsonschema

ENDPOINT = "/slack/events"
SCOPES = (
    "chat:write",
    "commands",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "users:read",
    "files:write",
    "im:write",
    "im:history",
)
NAME_LIMIT = 35  # Slack's limit on an app's display name


class ManifestError(ValueError):
    """A manifest that cannot be made: the URL or the name is not one Slack takes."""


def app_manifest(*, url: str | None, name: str = "Handoff") -> dict[str, Any]:
    """The manifest for ``handoff serve`` at ``url`` (its public HTTPS base), or over Socket Mode
    when ``url`` is None; raises ManifestError if Slack's schema would refuse it."""
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise ManifestError(f"the app name must be 1 to {NAME_LIMIT} characters, not {len(name)}")
    endpoint = None if url is None else public_endpoint(url)
    lead: dict[str, Any] = {
        "command": "/lead",
        "description": "Look up a lead's score, stage and handoffs",
        "usage_hint": "ana@acme.io | acme.io | Ana Ruiz",
        "should_escape": False,
    }
    interactivity: dict[str, Any] = {"is_enabled": True}
    events: dict[str, Any] = {"bot_events": ["app_home_opened"]}
    if endpoint is not None:
        lead = {"command": "/lead", "url": endpoint} | {k: v for k, v in lead.items() if k != "command"}
        interactivity["request_url"] = endpoint
        events = {"request_url": endpoint} | events
    manifest = {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name,
            "description": "Carries leads from marketing to sales, with the score that explains them.",
            "background_color": "#1d4ed8",
        },
        "features": {
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [lead],
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
        },
        "oauth_config": {"scopes": {"bot": list(SCOPES)}},
        "settings": {
            "interactivity": interactivity,
            "event_subscriptions": events,
            "org_deploy_enabled": False,
            "socket_mode_enabled": endpoint is None,
            "token_rotation_enabled": False,
        },
    }
    if problems := schema_problems(manifest):
        raise ManifestError(f"Slack's schema refuses the manifest: {problems[0]}")
    return manifest


def public_endpoint(url: str) -> str:
    """``https://host[/prefix]`` → ``https://host[/prefix]/slack/events``; one sentence if not HTTPS."""
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ManifestError(f"--url must be the public HTTPS address of handoff serve, not {url!r}")
    if parts.query or parts.fragment:
        raise ManifestError("--url takes the base address only, without ? or #")
    base = f"https://{parts.netloc}{parts.path.rstrip('/')}"
    return base if base.endswith(ENDPOINT) else base + ENDPOINT


def schema_problems(manifest: dict[str, Any]) -> list[str]:
    """What Slack's manifest schema finds wrong, each as "path: message"; empty when valid."""
    validator = _validator()
    errors = sorted(validator.iter_errors(manifest), key=lambda error: list(error.path))
    return [f"{'.'.join(str(part) for part in error.path) or '(top)'}: {error.message}" for error in errors]


@cache
def _validator() -> Any:
    schema = json.loads(
        resources.files("bot.slack").joinpath("schema/manifest.schema.1.0.0.json").read_text()
    )
    return jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)(schema)

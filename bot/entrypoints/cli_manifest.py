"""``handoff manifest``: the Slack app manifest, filled for this host, ready to paste."""

from __future__ import annotations

import json
from typing import Annotated

import typer
import yaml

from bot.entrypoints.cli_runtime import errors, fail
from bot.slack.manifest import ManifestError, app_manifest

_PASTE_HINT = "Paste it at api.slack.com/apps → Create New App → From an app manifest."


def manifest(
    url: Annotated[
        str | None,
        typer.Option(help="public HTTPS address of `handoff serve`, e.g. https://handoff.example.com"),
    ] = None,
    socket_mode: Annotated[
        bool, typer.Option("--socket-mode", help="for `handoff serve --socket-mode`: no public URL")
    ] = False,
    name: Annotated[str, typer.Option(help="the app's name in Slack")] = "Handoff",
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of YAML")] = False,
) -> None:
    """Print the Slack app manifest for this host (or Socket Mode), checked against Slack's schema."""
    if socket_mode == (url is not None):
        fail("give either --url https://your.host or --socket-mode")
    try:
        filled = app_manifest(url=url, name=name)
    except ManifestError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(filled, indent=2, ensure_ascii=False))
    else:
        typer.echo(yaml.safe_dump(filled, sort_keys=False, allow_unicode=True, width=1000), nl=False)
    errors.print(_PASTE_HINT, highlight=False)

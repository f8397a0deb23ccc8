"""Where the scoring model comes from: HANDOFF_SCORING_MODEL, or the built-in YAML."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from bot.webhooks.config import WebhookConfig, parse_webhooks
from scoring import ModelError, ScoringModel, parse_model
from scoring.loader import parse_routing
from scoring.routing import Routing


def builtin_model_text() -> str:
    """The YAML of the model shipped with Handoff."""
    return files("scoring.models").joinpath("builtin.yaml").read_text(encoding="utf-8")


def load_scoring_model(path: Path | None) -> ScoringModel:
    """Read and validate the model at ``path`` (the built-in one when None)."""
    if path is None:
        return parse_model(builtin_model_text(), source="(built-in)")
    return parse_model(_read(path, what="scoring model"), source=str(path))


def load_routing(path: Path | None) -> Routing | None:
    """Read and validate the routing file at ``path`` (None: no routing, one channel, no owners)."""
    if path is None:
        return None
    return parse_routing(_read(path, what="routing file"), source=str(path))


def load_webhooks(path: Path | None) -> WebhookConfig | None:
    """Read and validate the webhooks file at ``path`` (None: no webhooks)."""
    if path is None:
        return None
    return parse_webhooks(_read(path, what="webhooks file"), source=str(path))


def _read(path: Path, *, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(str(path), [f"cannot read the file: {exc.strerror}"], what=what) from None

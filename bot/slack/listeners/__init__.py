"""Bolt listeners, split by kind; each module has ``register(app, deps)``. Each acks first."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App

from bot.slack.listeners import actions, commands, events, reassign, views
from bot.slack.listeners.deps import ListenerDeps

log = logging.getLogger(__name__)

__all__ = ["ListenerDeps", "register"]


def register(app: App, deps: ListenerDeps) -> None:
    """Attach every listener, and the one error handler, to ``app``."""
    for kind in (actions, views, reassign, commands, events):
        kind.register(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed for a %s request", body.get("type", "?"), exc_info=error)

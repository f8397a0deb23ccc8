"""``/lead``: a private answer with a lead's score card."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from bot.slack import blocks
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.lookup import lead_lookup_answer


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the slash command listener."""

    @app.command("/lead")
    def lead_command(ack: Ack, command: dict[str, Any]) -> None:
        if not deps.membership.allows(command["user_id"]):
            ack(text=blocks.refusal_not_in_sales_channel(), response_type="ephemeral")
            return
        text, answer_blocks = lead_lookup_answer(
            runtime=deps.runtime, query=command.get("text", ""), now=deps.now()
        )
        ack(text=text, blocks=answer_blocks, response_type="ephemeral")

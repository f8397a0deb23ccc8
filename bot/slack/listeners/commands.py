"""``/lead``: acknowledged at once, answered privately through the command's ``response_url``."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.slack import blocks
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.lookup import lead_lookup_answer
from bot.slack.payloads import LeadCommand

log = logging.getLogger(__name__)

LOOKUP_FAILED = "The look-up failed; try again in a minute."


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the slash command listener."""

    @app.command("/lead")
    def lead_command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        command = LeadCommand.model_validate(body)
        if not command.text.strip():
            ack(text=blocks.lead_help(), response_type="ephemeral")
            return
        ack()  # Slack shows nothing for an empty ack; the answer follows through response_url
        if not deps.membership.allows(command.user_id):
            respond(text=blocks.refusal_not_in_sales_channel(), response_type="ephemeral")
            return
        try:
            text, answer = lead_lookup_answer(runtime=deps.runtime, query=command.text, now=deps.now())
        except Exception:
            log.exception("/lead look-up failed")
            respond(text=LOOKUP_FAILED, response_type="ephemeral")
            return
        respond(text=text, blocks=answer, response_type="ephemeral")

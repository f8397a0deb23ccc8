"""``/lead``: acknowledged at once, answered privately through the command's ``response_url``. Its
reserved first words: ``away until DATE``, ``back``, ``find TEXT``."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient

from bot.services.reps import set_away
from bot.slack import blocks
from bot.slack.blocks_routing import BACK, away_set
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.lookup import lead_lookup_answer
from bot.slack.payloads import LeadCommand
from bot.slack.rep_commands import Away, Back, Find, RepCommandError, away_instant, parse_rep_command

log = logging.getLogger(__name__)

LOOKUP_FAILED = "The look-up failed; try again in a minute."


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the slash command listener."""

    @app.command("/lead")
    def lead_command(ack: Ack, body: dict[str, Any], respond: Respond, client: WebClient) -> None:
        command = LeadCommand.model_validate(body)
        if not command.text.strip():
            ack(text=blocks.lead_help(), response_type="ephemeral")
            return
        ack()  # Slack shows nothing for an empty ack; the answer follows through response_url
        if not deps.membership.allows(command.user_id):
            respond(text=blocks.refusal_not_in_sales_channel(), response_type="ephemeral")
            return
        try:
            text, answer = _answer(deps, client, user_id=command.user_id, text=command.text)
        except RepCommandError as exc:
            text, answer = str(exc), []
        except Exception:
            log.exception("/lead failed")
            text, answer = LOOKUP_FAILED, []
        respond(text=text, blocks=answer, response_type="ephemeral")


def _answer(deps: ListenerDeps, client: WebClient, *, user_id: str, text: str) -> tuple[str, list[Any]]:
    reserved = parse_rep_command(text)
    now = deps.now()
    if isinstance(reserved, Away):
        profile = client.users_info(user=user_id).get("user")
        zone = profile.get("tz") if isinstance(profile, dict) else None
        until, zone_name = away_instant(reserved.day, zone=zone, now=now)
        set_away(uow=deps.runtime.uow(), user_id=user_id, until=until, now=now)
        return away_set(until, zone_name), []
    if isinstance(reserved, Back):
        set_away(uow=deps.runtime.uow(), user_id=user_id, until=None, now=now)
        return BACK, []
    query = reserved.query if isinstance(reserved, Find) else text
    if not query.strip():
        return blocks.lead_help(), []
    return lead_lookup_answer(runtime=deps.runtime, query=query, now=now)

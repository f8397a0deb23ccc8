"""Card buttons: Accept records the decision; Reject and Recycle open their modal."""

from __future__ import annotations

import re
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.decisions import DecisionRequest
from bot.slack import blocks, ids
from bot.slack.blocks_parts import name_from_header
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.payloads import ButtonClick
from scoring import Decision

NOT_OUR_BUTTON = "That button is not from a Handoff card."
_HANDOFF_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only: str.isdigit() also takes "٣"


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the button listeners."""

    @app.action(ids.ACCEPT)
    def accept(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        click = ButtonClick.model_validate(body)
        if (handoff_id := handoff_id_of(deps, client, click)) is None:
            return
        _decide(deps, client, DecisionRequest(handoff_id, Decision.ACCEPT, click.user.id), click.channel.id)

    @app.action(ids.REJECT)
    @app.action(ids.RECYCLE)
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        click = ButtonClick.model_validate(body)
        if (handoff_id := handoff_id_of(deps, client, click)) is None:
            return
        if refusal := deps.refusal(handoff_id=handoff_id, user_id=click.user.id):
            tell(client, click, refusal)
            return
        message_ts = click.message.ts if click.message else None
        if not click.trigger_id or not message_ts:
            tell(client, click, NOT_OUR_BUTTON)
            return
        modal = blocks.decision_modal(
            action=Decision.REJECT if click.action.action_id == ids.REJECT else Decision.RECYCLE,
            handoff_id=handoff_id,
            channel=click.channel.id,
            message_ts=message_ts,
            lead_name=name_from_header((click.message.header if click.message else None) or "this lead"),
            today=deps.now().date(),
        )
        client.views_open(trigger_id=click.trigger_id, view=modal)


def handoff_id_of(deps: ListenerDeps, client: WebClient, click: ButtonClick) -> int | None:
    """The handoff id of a card button click; None once the user is told why not."""
    if not deps.membership.allows(click.user.id, channel=click.channel.id):
        tell(client, click, blocks.refusal_not_in_sales_channel())
        return None
    value = click.action.value or ""
    if not _HANDOFF_ID.fullmatch(value):  # a tampered payload: our buttons carry the handoff id
        tell(client, click, NOT_OUR_BUTTON)
        return None
    return int(value)


def tell(client: WebClient, click: ButtonClick, text: str) -> None:
    client.chat_postEphemeral(channel=click.channel.id, user=click.user.id, text=text)


def _decide(deps: ListenerDeps, client: WebClient, request: DecisionRequest, channel: str) -> None:
    if refusal := deps.decide(request):
        client.chat_postEphemeral(channel=channel, user=request.user_id, text=refusal)
    else:
        deps.wake_delivery()

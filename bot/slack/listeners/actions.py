"""Card buttons: Accept records the decision; Reject and Recycle open their modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.decisions import DecisionRequest
from bot.slack import blocks, ids
from bot.slack.listeners.deps import ListenerDeps
from scoring import Decision


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the button listeners."""

    @app.action(ids.ACCEPT)
    def accept(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        if (target := _button_target(deps, client, body)) is None:
            return
        handoff_id, user, channel = target
        _decide(deps, client, DecisionRequest(handoff_id, Decision.ACCEPT, user), channel)

    @app.action(ids.REJECT)
    @app.action(ids.RECYCLE)
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        if (target := _button_target(deps, client, body)) is None:
            return
        handoff_id, _, channel = target
        modal = blocks.decision_modal(
            action="reject" if body["actions"][0]["action_id"] == ids.REJECT else "recycle",
            handoff_id=handoff_id,
            channel=channel,
            message_ts=body["message"]["ts"],
            lead_name=_lead_name(body),
            today=deps.now().date(),
        )
        client.views_open(trigger_id=body["trigger_id"], view=modal)


def _button_target(
    deps: ListenerDeps, client: WebClient, body: dict[str, Any]
) -> tuple[int, str, str] | None:
    """The handoff id, user and channel of a card button click; None once the user is told why not."""
    user, channel = body["user"]["id"], body["channel"]["id"]
    if not deps.membership.allows(user):
        client.chat_postEphemeral(channel=channel, user=user, text=blocks.refusal_not_in_sales_channel())
        return None
    value = str(body["actions"][0].get("value", ""))
    if not value.isdigit():  # a tampered payload: our buttons carry the handoff id
        client.chat_postEphemeral(channel=channel, user=user, text="That button is not from a Handoff card.")
        return None
    return int(value), user, channel


def _decide(deps: ListenerDeps, client: WebClient, request: DecisionRequest, channel: str) -> None:
    outcome = deps.record(request)
    if outcome is None:
        client.chat_postEphemeral(
            channel=channel, user=request.user_id, text="That handoff no longer exists."
        )
    elif not outcome.recorded:
        client.chat_postEphemeral(
            channel=channel, user=request.user_id, text=blocks.already_decided(outcome.decision)
        )
    else:
        deps.wake_delivery()


def _lead_name(body: dict[str, Any]) -> str:
    header = ((body.get("message") or {}).get("blocks") or [{}])[0]
    return str((header.get("text") or {}).get("text") or "this lead")

"""Bolt listeners: buttons, decision modals and ``/lead``. Each acks first, then does the work.

The one exception is a modal submission: its decision is written before the ack (a few
milliseconds), so the modal closes only once the decision is safe, or shows why it was not taken.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.runtime import Runtime, utcnow
from bot.services.cards import home_views
from bot.services.decisions import DecisionOutcome, DecisionRequest, HandoffNotFound, record_decision
from bot.slack import blocks, ids
from bot.slack.home import home_view
from bot.slack.lookup import lead_lookup_answer
from bot.slack.membership import SalesMembership
from scoring import Decision

log = logging.getLogger(__name__)


@dataclass
class ListenerDeps:
    """What the listeners need besides Bolt's own arguments."""

    runtime: Runtime
    membership: SalesMembership
    wake_delivery: Callable[[], None]
    now: Callable[[], datetime] = utcnow


def register(app: App, deps: ListenerDeps) -> None:
    """Attach every listener to ``app``."""

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

    @app.view(ids.REJECT_MODAL)
    @app.view(ids.RECYCLE_MODAL)
    def submit(ack: Ack, body: dict[str, Any]) -> None:
        user = body["user"]["id"]
        try:
            submitted = blocks.parse_decision_submission(body["view"], today=deps.now().date())
        except blocks.SubmissionError as exc:
            ack(response_action="errors", errors={exc.block_id: exc.message})
            return
        if not deps.membership.allows(user):
            ack(response_action="errors", errors={ids.REASON_BLOCK: blocks.refusal_not_in_sales_channel()})
            return
        request = DecisionRequest(
            handoff_id=submitted.handoff_id,
            action=Decision(submitted.action),
            user_id=user,
            reason=submitted.reason,
            note=submitted.note,
            recycle_until=_start_of(submitted.recycle_until, deps) if submitted.recycle_until else None,
        )
        outcome = _record(deps, request)
        if outcome is None or not outcome.recorded:
            text = blocks.already_decided(outcome.decision) if outcome else "That handoff no longer exists."
            ack(response_action="errors", errors={ids.REASON_BLOCK: text})
            return
        ack()
        deps.wake_delivery()

    @app.command("/lead")
    def lead_command(ack: Ack, command: dict[str, Any]) -> None:
        if not deps.membership.allows(command["user_id"]):
            ack(text=blocks.refusal_not_in_sales_channel(), response_type="ephemeral")
            return
        text, answer_blocks = lead_lookup_answer(
            runtime=deps.runtime, query=command.get("text", ""), now=deps.now()
        )
        ack(text=text, blocks=answer_blocks, response_type="ephemeral")

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = event["user"]
        now = deps.now()
        if deps.membership.allows(user):
            waiting, mine = home_views(
                uow=deps.runtime.uow(), user_id=user, model=deps.runtime.model, now=now
            )
            view = home_view(waiting=waiting, mine=mine, now=now)
        else:
            view = {
                "type": "home",
                "blocks": [
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": blocks.refusal_not_in_sales_channel()},
                    }
                ],
            }
        client.views_publish(user_id=user, view=view)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed for a %s request", body.get("type", "?"), exc_info=error)


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
    outcome = _record(deps, request)
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


def _record(deps: ListenerDeps, request: DecisionRequest) -> DecisionOutcome | None:
    try:
        return record_decision(
            uow=deps.runtime.uow(), request=request, model=deps.runtime.model, now=deps.now()
        )
    except HandoffNotFound:
        return None


def _start_of(day: date, deps: ListenerDeps) -> datetime:
    return datetime.combine(day, time(0, 0), deps.runtime.settings.zone).astimezone(UTC)


def _lead_name(body: dict[str, Any]) -> str:
    header = ((body.get("message") or {}).get("blocks") or [{}])[0]
    return str((header.get("text") or {}).get("text") or "this lead")

"""Reassign: a rep of the card's channel takes over a card another rep holds, saying why."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.services.decisions import holder_of
from bot.services.reassign import TakeOver, TakeOverRequest, take_over
from bot.slack import blocks, ids
from bot.slack.blocks_parts import name_from_header
from bot.slack.blocks_routing import ReassignError, parse_reassign_submission, reassign_modal
from bot.slack.listeners.actions import NOT_OUR_BUTTON, handoff_id_of, tell
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.payloads import ButtonClick, ModalSubmission

NOT_IN_CHANNEL = "Pick a member of the card's channel: only they can decide it."
ANSWERS = {
    TakeOver.ALREADY_YOURS: "That rep holds this lead already.",
    TakeOver.DECIDED: "This lead has been decided already.",
    TakeOver.GONE: "That handoff no longer exists.",
    TakeOver.MOVED_ON: "Someone else took this lead over meanwhile; look at the card again.",
}


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the Reassign button and its modal."""

    @app.action(ids.REASSIGN)
    def open_reassign(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        click = ButtonClick.model_validate(body)
        if (handoff_id := handoff_id_of(deps, client, click)) is None:
            return
        holder = holder_of(uow=deps.runtime.read_uow(), handoff_id=handoff_id)
        if not click.trigger_id:
            tell(client, click, NOT_OUR_BUTTON)
            return
        header = click.message.header if click.message else None
        modal = reassign_modal(
            handoff_id=handoff_id,
            channel=click.channel.id,
            assignee=holder,
            lead_name=name_from_header(header or "this lead"),
            user=None if holder == click.user.id else click.user.id,  # the holder passes it on
        )
        client.views_open(trigger_id=click.trigger_id, view=modal)

    @app.view(ids.REASSIGN_MODAL)
    def submit_reassign(ack: Ack, body: dict[str, Any]) -> None:
        submission = ModalSubmission.model_validate(body)
        user = submission.user.id
        try:
            taken = parse_reassign_submission(submission.view.to_bolt())
        except ReassignError as exc:
            ack(response_action="errors", errors={ids.REASSIGN_REASON_BLOCK: str(exc)})
            return
        if not deps.membership.allows(user, channel=taken.channel):
            refusal = blocks.refusal_not_in_sales_channel()
            ack(response_action="errors", errors={ids.REASSIGN_REASON_BLOCK: refusal})
            return
        if taken.to and taken.to != user and not deps.membership.allows(taken.to, channel=taken.channel):
            ack(response_action="errors", errors={ids.REASSIGN_TO_BLOCK: NOT_IN_CHANNEL})
            return
        request = TakeOverRequest(taken.handoff_id, user, taken.previous, taken.reason, taken.to)
        runtime = deps.runtime
        outcome = take_over(uow=runtime.uow(), request=request, now=deps.now(), webhooks=runtime.webhooks)
        if outcome is not TakeOver.TAKEN:
            ack(response_action="errors", errors={ids.REASSIGN_REASON_BLOCK: ANSWERS[outcome]})
            return
        ack()
        deps.wake_delivery()

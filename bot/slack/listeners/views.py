"""Reject and Recycle modal submissions.

A submission's decision is written before the ack (a few milliseconds), so the modal closes only
once the decision is safe, or shows why it was not taken.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from slack_bolt import Ack, App

from bot.services.decisions import DecisionRequest
from bot.slack import blocks, ids
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.payloads import ModalSubmission


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the modal submission listeners."""

    @app.view(ids.REJECT_MODAL)
    @app.view(ids.RECYCLE_MODAL)
    def submit(ack: Ack, body: dict[str, Any]) -> None:
        submission = ModalSubmission.model_validate(body)
        user = submission.user.id
        try:
            submitted = blocks.parse_decision_submission(submission.view.to_bolt(), today=deps.now().date())
        except blocks.SubmissionError as exc:
            ack(response_action="errors", errors={exc.block_id: exc.message})
            return
        if not deps.membership.allows(user, channel=submitted.channel):
            ack(response_action="errors", errors={ids.REASON_BLOCK: blocks.refusal_not_in_sales_channel()})
            return
        request = DecisionRequest(
            handoff_id=submitted.handoff_id,
            action=submitted.action,
            user_id=user,
            reason=submitted.reason,
            note=submitted.note,
            recycle_until=_start_of(submitted.recycle_until, deps) if submitted.recycle_until else None,
        )
        if refusal := deps.decide(request):
            ack(response_action="errors", errors={ids.REASON_BLOCK: refusal})
            return
        ack()
        deps.wake_delivery()


def _start_of(day: date, deps: ListenerDeps) -> datetime:
    return datetime.combine(day, time(0, 0), deps.runtime.settings.zone).astimezone(UTC)

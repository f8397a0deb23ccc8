"""Sending one outbox entry to Slack: the card, a line in its thread (a decision, an SLA follow-up, a
note to the owner of an accepted lead), an update, an admin notice.

A post whose earlier attempt is in doubt is first looked for in Slack by its metadata: a card in the
channel's history since just before its first attempt, a thread line among its card's replies. Every
page is read (cursors), so a busy channel does not hide it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.runtime import Runtime
from bot.services.cards import CardView, card_view
from bot.slack import blocks, history, ids
from bot.slack.blocks_parts import lead_name
from bot.slack.blocks_routing import assigned_dm, handed_over_line
from bot.slack.channel_guard import ChannelGuard, SlackUnreachable
from bot.slack.delivery_outcomes import (
    Later,
    Park,
    Problem,
    Sent,
    from_slack_error,
    from_transport_error,
    no_channel_problem,
)
from storage.outbox import (
    ADMIN_NOTICE,
    ASSIGNED,
    HANDED_OVER,
    HANDOFF_CARD,
    OWNER_NOTE,
    SLA_ESCALATION,
    SLA_REMINDER,
    THREAD_NOTE,
    OutboxEntry,
)

FOLLOW_UP_EVENT = "handoff_follow_up"
NOTICE_EVENT = "handoff_admin_notice"

Pace = Callable[[str], None]


class EntrySender:
    """Delivers one claimed entry, raising :class:`Later` or :class:`Park` when it cannot."""

    def __init__(
        self, *, runtime: Runtime, client: WebClient, now: Callable[[], datetime], pace: Pace
    ) -> None:
        self._runtime = runtime
        self._client = client
        self._now = now
        self._pace = pace
        self._guard = ChannelGuard(client, cache_seconds=runtime.settings.ready_slack_cache_seconds)

    def deliver(self, entry: OutboxEntry) -> Sent:
        """Post, update or skip ``entry``."""
        if entry.kind == ADMIN_NOTICE:
            return self._post_notice(entry)
        view = self._view(entry)
        if entry.kind == HANDOFF_CARD:
            return self._post_card(entry, view)
        if view.message_ts is None or view.channel is None:
            wait = timedelta(seconds=self._runtime.settings.parked_retry_seconds)
            raise Later("its card is not posted yet", cause="waiting_for_card", counts=False, delay=wait)
        if entry.kind in (SLA_REMINDER, SLA_ESCALATION) and not view.is_open:
            return Sent()  # decided since: no need to nag
        if entry.kind == ASSIGNED:
            return self._post_dm(entry, view, view.channel, view.message_ts)
        if entry.kind in (THREAD_NOTE, OWNER_NOTE, SLA_REMINDER, SLA_ESCALATION, HANDED_OVER):
            return self._post_follow_up(entry, view, view.channel, view.message_ts)
        message = blocks.handoff_card(view, now=self._now())
        self._call(
            "chat.update",
            self._client.chat_update,
            entry,
            channel=view.channel,
            ts=view.message_ts,
            text=message.text,
            blocks=message.blocks,
        )
        return Sent()

    def _post_card(self, entry: OutboxEntry, view: CardView) -> Sent:
        if view.message_ts:
            return Sent(view.message_ts)
        channel = view.channel or entry.channel or self._runtime.settings.sales_channel
        if not channel:
            raise Park("no channel: set HANDOFF_SALES_CHANNEL", problem=no_channel_problem())
        if entry.in_doubt and (found := self._find_card(entry, channel, view.handoff_id)):
            return Sent(found, found=True)
        self._refuse_shared_outside(channel)
        self._pace(channel)
        message = blocks.handoff_card(view, now=self._now())
        answer = self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            entry,
            channel=channel,
            text=message.text,
            blocks=message.blocks,
            metadata=message.metadata,
        )
        return Sent(str(answer["ts"]))

    def _refuse_shared_outside(self, channel: str) -> None:
        try:
            shared = self._guard.shared_outside(channel)
        except SlackUnreachable as exc:
            raise Later(f"conversations.info: {exc}", cause="connection_error") from None
        if shared:
            message = (
                f"<#{channel}> is shared with another organisation (Slack Connect): Handoff posts no "
                "lead data there. Point HANDOFF_SALES_CHANNEL at a channel only your organisation can read."
            )
            raise Park(
                "the channel is shared with another organisation",
                problem=Problem(f"channel:{channel}:shared", message),
            )

    def _post_follow_up(self, entry: OutboxEntry, view: CardView, channel: str, thread_ts: str) -> Sent:
        if entry.in_doubt and self._find_reply(entry, channel, thread_ts):
            return Sent(found=True)
        self._pace(channel)
        self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            entry,
            channel=channel,
            thread_ts=thread_ts,
            text=self._thread_text(entry, view),
            metadata=_follow_up_metadata(entry),
        )
        return Sent()

    def _post_dm(self, entry: OutboxEntry, view: CardView, channel: str, message_ts: str) -> Sent:
        user = str(entry.payload.get("user") or "")
        if not view.is_open or view.assignee != user:
            return Sent()  # decided, or someone else holds it now: no need to tell them
        opened = self._call("conversations.open", self._client.conversations_open, entry, users=user)
        direct = str(opened["channel"]["id"])
        if entry.in_doubt and self._find_card(entry, direct, view.handoff_id, event=FOLLOW_UP_EVENT):
            return Sent(found=True)
        name = lead_name(view.profile, view.email)
        text = assigned_dm(
            lead=name, score=view.score.total, channel=channel, message_ts=message_ts, due_at=view.sla_due_at
        )
        metadata = _follow_up_metadata(entry)
        self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            entry,
            channel=direct,
            text=text,
            metadata=metadata,
        )
        return Sent()

    def _post_notice(self, entry: OutboxEntry) -> Sent:
        channel = entry.channel or ""
        self._pace(channel)
        text = str(entry.payload.get("text", ""))
        metadata = {"event_type": NOTICE_EVENT, "event_payload": {"outbox_id": entry.id}}
        self._call(
            "chat.postMessage",
            self._client.chat_postMessage,
            entry,
            channel=channel,
            text=text,
            metadata=metadata,
        )
        return Sent()

    def _find_card(
        self, entry: OutboxEntry, channel: str, handoff_id: int, *, event: str = ids.HANDOFF_CARD_EVENT
    ) -> str | None:
        def page(cursor: str | None) -> SlackResponse:
            return self._call(
                "conversations.history",
                self._client.conversations_history,
                entry,
                channel=channel,
                oldest=self._oldest(entry),
                limit=history.PAGE_SIZE,
                include_all_metadata=True,
                cursor=cursor,
            )

        for message in history.messages(page):
            found = history.payload(message, event)
            if found.get("handoff_id") == handoff_id and found.get("outbox_id", entry.id) == entry.id:
                return str(message["ts"])
        return None

    def _find_reply(self, entry: OutboxEntry, channel: str, thread_ts: str) -> bool:
        def page(cursor: str | None) -> SlackResponse:
            return self._call(
                "conversations.replies",
                self._client.conversations_replies,
                entry,
                channel=channel,
                ts=thread_ts,
                oldest=self._oldest(entry),
                limit=history.PAGE_SIZE,
                include_all_metadata=True,
                cursor=cursor,
            )

        return any(
            history.payload(message, FOLLOW_UP_EVENT).get("outbox_id") == entry.id
            for message in history.messages(page)
        )

    def _oldest(self, entry: OutboxEntry) -> str:
        lookback = timedelta(seconds=self._runtime.settings.doubt_lookback_seconds)
        return f"{(entry.first_attempt_at - lookback).timestamp():.6f}"

    def _call(
        self, name: str, method: Callable[..., SlackResponse], entry: OutboxEntry, **params: Any
    ) -> SlackResponse:
        channel = params.get("channel")
        try:
            return method(**{key: value for key, value in params.items() if value is not None})
        except SlackApiError as exc:
            raise from_slack_error(exc, method=name, channel=channel, entry_id=entry.id) from exc
        except (OSError, HTTPException) as exc:
            raise from_transport_error(exc, method=name) from exc

    def _thread_text(self, entry: OutboxEntry, view: CardView) -> str:
        if entry.kind == THREAD_NOTE:
            assert view.decision is not None
            return blocks.decision_thread_line(decision=view.decision)
        if entry.kind == OWNER_NOTE:
            return blocks.owner_note_text(view=view, payload=entry.payload, now=self._now())
        if entry.kind == HANDED_OVER:
            payload = entry.payload
            return handed_over_line(
                previous=payload.get("previous"),
                assignee=str(payload.get("assignee")),
                by=payload.get("by"),
                reason=payload.get("reason"),
            )
        routing = self._runtime.routing
        team = routing.teams.get(view.team) if routing and view.team else None
        return blocks.sla_follow_up_line(
            view=view,
            now=self._now(),
            escalation=entry.kind == SLA_ESCALATION,
            escalate_to=self._runtime.settings.escalation_mention_text,
            working=team.hours if team else None,
        )

    def _view(self, entry: OutboxEntry) -> CardView:
        with self._runtime.uow() as uow:
            handoff = uow.handoffs.get(entry.handoff_id) if entry.handoff_id is not None else None
            view = (
                card_view(
                    uow=uow,
                    handoff=handoff,
                    model=self._runtime.model,
                    now=self._now(),
                    show_personal=self._runtime.settings.card_show_personal,
                )
                if handoff
                else None
            )
        if view is None:
            problem = Problem(
                f"entry:{entry.id}", f"Outbox entry {entry.id} ({entry.kind}) has no handoff left."
            )
            raise Park(f"handoff {entry.handoff_id} no longer exists", problem=problem)
        return view


def _follow_up_metadata(entry: OutboxEntry) -> dict[str, Any]:
    return {
        "event_type": FOLLOW_UP_EVENT,
        "event_payload": {"handoff_id": entry.handoff_id, "outbox_id": entry.id, "kind": entry.kind},
    }

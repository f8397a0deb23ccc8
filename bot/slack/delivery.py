"""The delivery worker: posts outbox entries to Slack at Slack's pace, and never twice.

Each entry is claimed with a lease, sent, then settled: sent, retried later (429 honouring
Retry-After, 5xx, timeouts), or parked (a cause a person must fix). An entry whose previous worker
died mid-send is "in doubt": before posting its card again we look for it in the channel.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.runtime import Runtime, utcnow
from bot.services.cards import CardView, card_view
from bot.slack import blocks
from bot.slack.pacing import ChannelPacer, backoff
from storage.outbox import HANDOFF_CARD, SLA_ESCALATION, SLA_REMINDER, THREAD_NOTE, OutboxEntry

log = logging.getLogger(__name__)

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "msg_too_long",
        "restricted_action",
    }
)
MAX_ATTEMPTS = 8
LEASE = timedelta(seconds=60)


class Park(Exception):
    """Delivery cannot succeed until a person fixes something."""


class Later(Exception):
    """Delivery failed for now; try again after ``delay``."""

    def __init__(self, reason: str, delay: timedelta | None = None) -> None:
        super().__init__(reason)
        self.delay = delay


class DeliveryWorker:
    """Drains the outbox in a background thread; ``wake()`` after queuing to skip the poll wait."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        client: WebClient,
        poll_seconds: float = 1.0,
        now: Callable[[], datetime] = utcnow,
    ) -> None:
        self._runtime = runtime
        self._client = client
        self._poll_seconds = poll_seconds
        self._now = now
        self._pacer = ChannelPacer(runtime.settings.post_rate)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Run in a daemon thread until :meth:`stop`."""
        self._thread = threading.Thread(target=self._loop, name="handoff-delivery", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the entry in hand, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look at the outbox now rather than at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.run_once()
            except Exception:
                log.exception("delivery loop failed; retrying after a pause")
                worked = False
            if not worked:
                self._wake.wait(self._poll_seconds)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim and deliver one due entry; False when nothing was due."""
        with self._runtime.uow() as uow:
            entry = uow.outbox.claim_next(now=self._now(), lease=LEASE)
            uow.commit()
        if entry is None:
            return False
        self._settle(entry, self._attempt(entry))
        return True

    def _attempt(self, entry: OutboxEntry) -> Exception | str | None:
        try:
            return self._deliver(entry)
        except (Park, Later) as failure:
            return failure
        except SlackApiError as exc:
            return _classify(exc)
        except OSError as exc:  # timeouts, refused or reset connections
            return Later(f"{type(exc).__name__}: {exc}")

    def _settle(self, entry: OutboxEntry, outcome: Exception | str | None) -> None:
        now = self._now()
        with self._runtime.uow() as uow:
            if isinstance(outcome, Later) and entry.attempts < MAX_ATTEMPTS:
                if outcome.delay is not None and entry.channel:
                    self._pacer.hold(entry.channel, outcome.delay.total_seconds())
                uow.outbox.retry_later(
                    entry.id, at=now + (outcome.delay or backoff(entry.attempts)), error=str(outcome)
                )
                log.warning("outbox %s: %s; retrying (attempt %s)", entry.id, outcome, entry.attempts)
            elif isinstance(outcome, Exception):
                uow.outbox.park(entry.id, error=str(outcome))
                log.error("outbox %s parked: %s", entry.id, outcome)
            else:
                if isinstance(outcome, str) and entry.handoff_id is not None and entry.kind == HANDOFF_CARD:
                    uow.handoffs.record_delivery(
                        handoff_id=entry.handoff_id, channel=entry.channel or "", message_ts=outcome
                    )
                uow.outbox.mark_sent(entry.id, at=now)
            uow.commit()

    def _deliver(self, entry: OutboxEntry) -> str | None:
        view = self._view(entry)
        channel = view.channel or entry.channel
        if not channel:
            raise Park("no channel: set HANDOFF_SALES_CHANNEL")
        if entry.kind == HANDOFF_CARD:
            return self._post_card(entry, view, channel)
        if view.message_ts is None:
            raise Later("the card is not posted yet")
        if entry.kind in (SLA_REMINDER, SLA_ESCALATION) and not view.is_open:
            return None  # decided since: no need to nag
        self._pace(channel)
        if entry.kind in (THREAD_NOTE, SLA_REMINDER, SLA_ESCALATION):
            self._client.chat_postMessage(
                channel=channel, thread_ts=view.message_ts, text=self._thread_text(entry, view)
            )
        else:
            message = blocks.handoff_card(view, now=self._now())
            self._client.chat_update(
                channel=channel, ts=view.message_ts, text=message.text, blocks=message.blocks
            )
        return None

    def _thread_text(self, entry: OutboxEntry, view: CardView) -> str:
        if entry.kind == THREAD_NOTE:
            assert view.decision is not None
            return blocks.decision_thread_line(decision=view.decision)
        return blocks.sla_follow_up_line(
            view=view,
            now=self._now(),
            escalation=entry.kind == SLA_ESCALATION,
            escalate_to=self._runtime.settings.escalation_mention_text,
        )

    def _post_card(self, entry: OutboxEntry, view: CardView, channel: str) -> str:
        if view.message_ts:
            return view.message_ts
        if entry.in_doubt and (found := self._find_posted(channel, view)):
            log.info("outbox %s: card was already posted at %s", entry.id, found)
            return found
        self._pace(channel)
        message = blocks.handoff_card(view, now=self._now())
        answer = self._client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, metadata=message.metadata
        )
        return str(answer["ts"])

    def _find_posted(self, channel: str, view: CardView) -> str | None:
        oldest = (view.created_at - timedelta(minutes=1)).timestamp()
        history = self._client.conversations_history(
            channel=channel, oldest=str(oldest), limit=200, include_all_metadata=True
        )
        messages: list[dict[str, Any]] = history.get("messages", [])
        for message in messages:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("handoff_id") == view.handoff_id:
                return str(message["ts"])
        return None

    def _pace(self, channel: str) -> None:
        wait = self._pacer.reserve(channel)
        if wait > 0:
            self._stop.wait(wait)

    def _view(self, entry: OutboxEntry) -> CardView:
        if entry.handoff_id is None:
            raise Park(f"outbox entry of kind {entry.kind} has no handoff")
        with self._runtime.uow() as uow:
            handoff = uow.handoffs.get(entry.handoff_id)
            view = (
                card_view(uow=uow, handoff=handoff, model=self._runtime.model, now=self._now())
                if handoff
                else None
            )
        if view is None:
            raise Park(f"handoff {entry.handoff_id} no longer exists")
        return view


def _classify(exc: SlackApiError) -> Exception:
    status = exc.response.status_code
    error = str(exc.response.get("error", "unknown_error"))
    if status == 429:
        retry_after = int(exc.response.headers.get("Retry-After", exc.response.headers.get("retry-after", 1)))
        return Later(f"rate limited by Slack for {retry_after} s", timedelta(seconds=retry_after))
    if status >= 500:
        return Later(f"Slack answered HTTP {status}")
    if error in PERMANENT_ERRORS:
        return Park(f"Slack answered {error}")
    return Later(f"Slack answered {error}")

"""The delivery worker: drains the outbox into Slack at Slack's pace, never twice, never forgetting.

One entry at a time: claim it with a lease, send it (``delivery_send``), then settle it in one
transaction according to the outcome (``delivery_outcomes``):

- sent: ``sent`` (a card's ts is recorded on its handoff);
- later: back to ``pending`` at a later time; a rate limit waits for Slack's Retry-After plus jitter
  without spending an attempt and widens the channel's shared pace; other failures back off
  exponentially with jitter and count; an ambiguous one leaves the entry in doubt;
- park: ``parked`` (also after HANDOFF_DELIVERY_MAX_ATTEMPTS failures), retried every
  HANDOFF_PARKED_RETRY_SECONDS; its problem is logged and told to HANDOFF_ADMIN once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from slack_sdk import WebClient

from bot.metrics import Metrics
from bot.runtime import Runtime, utcnow
from bot.services.webhook_queue import queue_card_posted
from bot.slack.delivery_outcomes import Later, Outcome, Park, Problem, Sent, gave_up_problem
from bot.slack.delivery_send import EntrySender
from bot.slack.pacing import backoff, rate_limit_wait
from storage.outbox import ADMIN_NOTICE, HANDOFF_CARD, OutboxEntry
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Delivers one claimed entry, raising Later or Park when it cannot."""

    def deliver(self, entry: OutboxEntry) -> Sent: ...


class DeliveryWorker:
    """Drains the outbox in a background thread; ``wake()`` after queuing to skip the poll wait."""

    def __init__(
        self,
        *,
        runtime: Runtime,
        client: WebClient,
        poll_seconds: float | None = None,
        now: Callable[[], datetime] = utcnow,
        metrics: Metrics | None = None,
        sender: Sender | None = None,
    ) -> None:
        """``sender``: deliver webhook entries with it instead of Slack messages (a second worker)."""
        settings = runtime.settings
        self._runtime = runtime
        self._poll_seconds = settings.delivery_poll_seconds if poll_seconds is None else poll_seconds
        self._now = now
        self._metrics = metrics
        self._lease = timedelta(seconds=settings.delivery_lease_seconds)
        self._min_interval = 1.0 / settings.post_rate
        self._webhooks = sender is not None
        self._sender: Sender = sender or EntrySender(runtime=runtime, client=client, now=now, pace=self._pace)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        """Run HANDOFF_DELIVERY_THREADS daemon threads until :meth:`stop` (lanes keep them in order)."""
        for number in range(self._runtime.settings.delivery_threads):
            name = f"handoff-{'webhooks' if self._webhooks else 'delivery'}-{number}"
            thread = threading.Thread(target=self._loop, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the entries in hand, then stop."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

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
            entry = uow.outbox.claim_next(now=self._now(), lease=self._lease, webhooks=self._webhooks)
            uow.commit()
        if entry is None:
            return False
        self._settle(entry, self._attempt(entry))
        return True

    def _attempt(self, entry: OutboxEntry) -> Outcome:
        try:
            return self._sender.deliver(entry)
        except (Later, Park) as failure:
            return failure
        except Exception as exc:  # a bug or an answer nobody foresaw: settle it, look before re-posting
            log.exception("outbox %s (%s): unexpected failure", entry.id, entry.kind)
            return Later(f"{type(exc).__name__}: {exc}", cause="unexpected", in_doubt=True)

    def _settle(self, entry: OutboxEntry, outcome: Outcome) -> None:
        now = self._now()
        settings = self._runtime.settings
        if isinstance(outcome, Later) and outcome.in_doubt and entry.kind == ADMIN_NOTICE:
            log.warning("admin notice %s may not have reached Slack (%s); not repeated", entry.id, outcome)
            outcome = Sent()  # said at most once: the log has it anyway
        in_doubt = entry.in_doubt or (isinstance(outcome, Later) and outcome.in_doubt)
        if isinstance(outcome, Later) and outcome.counts and entry.attempts >= settings.delivery_max_attempts:
            problem = gave_up_problem(
                entry_id=entry.id, kind=entry.kind, attempts=entry.attempts, failure=outcome
            )
            outcome = Park(str(outcome), problem=problem)
        with self._runtime.uow() as uow:
            if isinstance(outcome, Sent):
                self._sent(uow, entry, outcome, now)
            elif isinstance(outcome, Later):
                self._later(uow, entry, outcome, now, in_doubt=in_doubt)
            else:
                self._park(uow, entry, outcome, now, in_doubt=in_doubt)
            uow.commit()

    def _sent(self, uow: UnitOfWork, entry: OutboxEntry, outcome: Sent, now: datetime) -> None:
        if outcome.found:
            log.info("outbox %s: %s was already in Slack; not posted again", entry.id, entry.kind)
        if outcome.ts and entry.handoff_id is not None and entry.kind == HANDOFF_CARD:
            channel = entry.channel or self._runtime.settings.sales_channel or ""
            uow.handoffs.record_delivery(handoff_id=entry.handoff_id, channel=channel, message_ts=outcome.ts)
            webhooks = self._runtime.webhooks
            queue_card_posted(
                uow, webhooks, handoff_id=entry.handoff_id, channel=channel, ts=outcome.ts, now=now
            )
        uow.outbox.mark_sent(entry.id, at=now)
        if entry.parked_count:
            uow.notices.clear(
                prefixes=[
                    f"channel:{entry.channel}:",
                    "token:",
                    "scope:",
                    "config:",
                    "failing:",
                    f"entry:{entry.id}",
                ]
            )

    def _later(
        self, uow: UnitOfWork, entry: OutboxEntry, outcome: Later, now: datetime, *, in_doubt: bool
    ) -> None:
        settings = self._runtime.settings
        if outcome.retry_after is not None:
            interval = self._min_interval
            if outcome.method == "chat.postMessage" and outcome.channel:
                interval = uow.pace.slow_down(
                    channel=outcome.channel,
                    now=now,
                    wait=timedelta(seconds=outcome.retry_after),
                    min_interval=self._min_interval,
                    max_interval=settings.delivery_backoff_cap_seconds,
                )
            delay = rate_limit_wait(outcome.retry_after, interval=interval)
        elif outcome.delay is not None:
            delay = outcome.delay
        else:
            delay = backoff(entry.attempts, cap=timedelta(seconds=settings.delivery_backoff_cap_seconds))
        uow.outbox.retry_later(
            entry.id,
            at=now + delay,
            error=str(outcome),
            in_doubt=in_doubt,
            counts=outcome.counts,
        )
        if outcome.cause == "paced":
            return
        if self._metrics is not None:
            self._metrics.record_retry(outcome.cause)
        log.log(
            logging.WARNING if outcome.counts else logging.INFO,
            "outbox %s (%s): %s; retrying in %.1f s%s",
            entry.id,
            entry.kind,
            outcome,
            delay.total_seconds(),
            " (in doubt: will look before posting again)" if outcome.in_doubt else "",
        )

    def _park(
        self, uow: UnitOfWork, entry: OutboxEntry, outcome: Park, now: datetime, *, in_doubt: bool
    ) -> None:
        retry_at = now + timedelta(seconds=self._runtime.settings.parked_retry_seconds)
        uow.outbox.park(entry.id, error=str(outcome), retry_at=retry_at, in_doubt=in_doubt)
        if self._metrics is not None:
            self._metrics.record_park(entry.kind)
        log.warning("outbox %s (%s) parked: %s; next try at %s", entry.id, entry.kind, outcome, retry_at)
        if entry.kind != ADMIN_NOTICE:
            self._tell_admin(uow, outcome.problem, now)

    def _tell_admin(self, uow: UnitOfWork, problem: Problem, now: datetime) -> None:
        settings = self._runtime.settings
        every = _span(settings.parked_retry_seconds)
        message = f"{problem.message} Messages waiting for this are kept and retried every {every}."
        if not uow.notices.claim(key=problem.key, message=message, at=now):
            return
        admin = settings.admin
        told = problem.can_tell_slack and admin is not None
        log.error(
            "needs a person: %s%s",
            message,
            "" if told or not problem.can_tell_slack else " (set HANDOFF_ADMIN to be told in Slack)",
        )
        if told:
            uow.outbox.add(kind=ADMIN_NOTICE, at=now, channel=admin, payload={"text": f"⚠️ {message}"})
            self._wake.set()

    def _pace(self, channel: str) -> None:
        """Take the channel's next posting slot (shared by all replicas) and wait for it; a slot too far
        ahead is not taken: the entry steps back until then, without spending an attempt."""
        now = self._now()
        horizon = self._lease / 10
        with self._runtime.uow() as uow:
            slot = uow.pace.take_slot(
                channel=channel, now=now, min_interval=self._min_interval, horizon=horizon
            )
            uow.commit()
        wait = (slot.at - now).total_seconds()
        if not slot.taken:
            raise Later(f"{channel} is paced", cause="paced", counts=False, delay=slot.at - now)
        if wait > 0 and self._stop.wait(wait):
            raise Later("shutting down", cause="paced", counts=False, delay=slot.at - now)


def _span(seconds: float) -> str:
    if seconds >= 3600 and seconds % 3600 == 0:
        return f"{seconds / 3600:g} h"
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g} min"
    return f"{seconds:g} s"

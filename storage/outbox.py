"""The outbox: Slack messages owed, written in the same transaction as the change that owes them.

An entry's states: ``pending`` (due at ``next_attempt_at``; in flight while ``claimed_until`` is in
the future), ``sent``, or ``parked`` (needs a person; retried on a slow schedule all the same).
Delivery claims one entry at a time with a lease. ``FOR UPDATE SKIP LOCKED`` lets several replicas
share the outbox on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` serialises claims. An entry is not
claimed while an older entry of its lane is pending (order per channel), nor while its handoff's
card is unsent (follow-ups wait for their card). A card's update after a click goes first: it is
not a new post and must not wait behind the channel's queue of new cards. ``in_doubt`` marks an
entry whose last attempt may have reached Slack (a timeout, a dropped connection, a 5xx, or a
worker that died mid-send).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from storage.tables import OutboxRow, table

_outbox = table(OutboxRow)

HANDOFF_CARD = "handoff_card"
CARD_UPDATE = "card_update"
THREAD_NOTE = "thread_note"
SLA_REMINDER = "sla_reminder"
SLA_ESCALATION = "sla_escalation"
ADMIN_NOTICE = "admin_notice"
OWNER_NOTE = "owner_note"  # an accepted lead raised its hand again: a line to its owner in the card's thread
ASSIGNED = "assigned"  # a direct message to the rep who now holds a card, with a link to it
WEBHOOK = "webhook"  # an event for an outbound webhook endpoint (delivered by its own worker)
HANDED_OVER = "handed_over"  # a line in the card's thread: another rep holds it now


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    """A claimed entry, ready to deliver."""

    id: int
    kind: str
    handoff_id: int | None
    channel: str | None
    payload: dict[str, Any]
    attempts: int
    in_doubt: bool
    first_attempt_at: datetime
    parked_count: int = 0


@dataclass(frozen=True, slots=True)
class OutboxStats:
    """Entries by state, and how long the oldest pending one has waited."""

    by_state: dict[str, int]
    oldest_pending_at: datetime | None


def lane_of(*, kind: str, handoff_id: int | None, channel: str | None) -> str:
    """Cards of one channel go in order; a handoff's follow-ups go in order among themselves."""
    if kind == HANDOFF_CARD and channel:
        return channel
    if handoff_id is not None:
        return f"h{handoff_id}"
    return kind


def _entry(
    *, kind: str, at: datetime, handoff_id: int | None, channel: str | None, payload: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "handoff_id": handoff_id,
        "channel": channel,
        "payload": payload or {},
        "status": "pending",
        "attempts": 0,
        "next_attempt_at": at,
        "created_at": at,
        "lane": lane_of(kind=kind, handoff_id=handoff_id, channel=channel),
        "in_doubt": False,
        "parked_count": 0,
    }


class OutboxRepository:
    """Adds, claims and settles outbox entries inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        kind: str,
        at: datetime,
        handoff_id: int | None = None,
        channel: str | None = None,
        payload: dict[str, Any] | None = None,
        lane: str | None = None,
    ) -> int:
        """Queue a message for delivery (in order within ``lane``, else its kind's lane); returns the
        entry's id."""
        values = _entry(kind=kind, at=at, handoff_id=handoff_id, channel=channel, payload=payload)
        if lane is not None:
            values["lane"] = lane
        return int(self._session.execute(insert(_outbox).values(values).returning(_outbox.c.id)).scalar_one())

    def add_cards(self, handoff_ids: list[int], *, at: datetime, channel: str | None) -> None:
        """Queue the cards of new handoffs, in the order given, in one statement."""
        if handoff_ids:
            rows = [
                _entry(kind=HANDOFF_CARD, at=at, handoff_id=handoff_id, channel=channel, payload=None)
                for handoff_id in handoff_ids
            ]
            self._session.execute(insert(_outbox), rows)

    def add_card_update(self, *, handoff_id: int, at: datetime) -> bool:
        """Queue an update of a handoff's card unless one is queued and not yet claimed (it will show
        the state as it is when sent); False when it was folded into that one."""
        queued = (
            select(_outbox.c.id)
            .where(
                _outbox.c.handoff_id == handoff_id,
                _outbox.c.kind == CARD_UPDATE,
                _outbox.c.status == "pending",
                _outbox.c.claimed_until.is_(None),
            )
            .limit(1)
            .with_for_update()  # a worker claiming it waits for this transaction, then reads its state
        )
        if self._session.execute(queued).first() is not None:
            return False
        self.add(kind=CARD_UPDATE, at=at, handoff_id=handoff_id)
        return True

    def claim_next(self, *, now: datetime, lease: timedelta, webhooks: bool = False) -> OutboxEntry | None:
        """Claim the oldest due entry for ``lease`` (a webhook's, with ``webhooks``, else a Slack
        message's: each has its own worker, so a slow endpoint never holds a card back); None when
        nothing is due.

        A due parked entry is claimed too (its slow retry) and becomes pending with one attempt.
        """
        kind = _outbox.c.kind == WEBHOOK if webhooks else _outbox.c.kind != WEBHOOK
        claimable = _claimable(now).where(kind).limit(1).with_for_update(skip_locked=True)
        row = self._session.execute(claimable).first()
        if row is None:
            return None
        unparking = row.status == "parked"
        attempts = 1 if unparking else row.attempts + 1
        in_doubt = bool(row.in_doubt) or (row.claimed_until is not None and not unparking)
        first_attempt_at = row.first_attempt_at or now
        self._session.execute(
            update(_outbox)
            .where(_outbox.c.id == row.id)
            .values(
                status="pending",
                claimed_until=now + lease,
                attempts=attempts,
                in_doubt=in_doubt,
                first_attempt_at=first_attempt_at,
            )
        )
        return OutboxEntry(
            id=row.id,
            kind=row.kind,
            handoff_id=row.handoff_id,
            channel=row.channel,
            payload=row.payload or {},
            attempts=attempts,
            in_doubt=in_doubt,
            first_attempt_at=first_attempt_at,
            parked_count=row.parked_count,
        )

    def mark_sent(self, entry_id: int, *, at: datetime) -> None:
        """The message is in Slack."""
        self._settle(entry_id, status="sent", sent_at=at, last_error=None, in_doubt=False)

    def retry_later(
        self, entry_id: int, *, at: datetime, error: str, in_doubt: bool, counts: bool = True
    ) -> None:
        """A passing failure: try again at ``at``; an attempt that ``counts`` not is given back
        (a rate limit, or a follow-up whose card is not posted yet)."""
        attempts: Any = _outbox.c.attempts
        if not counts:
            attempts = case((_outbox.c.attempts > 0, _outbox.c.attempts - 1), else_=0)
        self._settle(
            entry_id,
            status="pending",
            next_attempt_at=at,
            last_error=error,
            in_doubt=in_doubt,
            attempts=attempts,
        )

    def park(self, entry_id: int, *, error: str, retry_at: datetime, in_doubt: bool) -> None:
        """A failure that needs a person (bot not in the channel, bad token…): kept with its error,
        and tried again at ``retry_at``."""
        self._settle(
            entry_id,
            status="parked",
            last_error=error,
            next_attempt_at=retry_at,
            in_doubt=in_doubt,
            parked_count=_outbox.c.parked_count + 1,
        )

    def retry_parked_now(self, *, now: datetime) -> int:
        """Make every parked entry due now (``handoff serve`` does this at start)."""
        statement = update(_outbox).where(_outbox.c.status == "parked").values(next_attempt_at=now)
        return int(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def count_by_status(self) -> dict[str, int]:
        """How many entries are pending, sent or parked."""
        query = select(_outbox.c.status, func.count()).group_by(_outbox.c.status)
        return {status: count for status, count in self._session.execute(query).all()}  # noqa: C416 (Result has keys())

    def stats(self, *, now: datetime) -> OutboxStats:
        """Entries by state (pending, in_flight, parked, sent) and the oldest pending entry's time."""
        in_flight = and_(_outbox.c.status == "pending", _outbox.c.claimed_until > now)
        query = select(
            _outbox.c.status,
            func.count().filter(in_flight),
            func.count(),
            func.min(_outbox.c.created_at),
        ).group_by(_outbox.c.status)
        by_state = {"pending": 0, "in_flight": 0, "parked": 0, "sent": 0}
        oldest: datetime | None = None
        for status, flying, count, first in self._session.execute(query):
            by_state[status] = by_state.get(status, 0) + count - flying
            by_state["in_flight"] += flying
            if status == "pending":
                oldest = first
        return OutboxStats(by_state=by_state, oldest_pending_at=oldest)

    def _settle(self, entry_id: int, **values: Any) -> None:
        self._session.execute(
            update(_outbox).where(_outbox.c.id == entry_id).values(claimed_until=None, **values)
        )


def _claimable(now: datetime) -> Any:
    older = aliased(_outbox)
    card = aliased(_outbox)
    blocked_by_older = (
        select(older.c.id)
        .where(older.c.lane == _outbox.c.lane, older.c.status == "pending", older.c.id < _outbox.c.id)
        .exists()
    )
    waiting_for_card = (
        select(card.c.id)
        .where(
            card.c.handoff_id == _outbox.c.handoff_id,
            card.c.kind == HANDOFF_CARD,
            card.c.status != "sent",
            card.c.id < _outbox.c.id,
        )
        .exists()
    )
    return (
        select(_outbox)
        .where(
            _outbox.c.status.in_(("pending", "parked")),
            _outbox.c.next_attempt_at <= now,
            or_(_outbox.c.claimed_until.is_(None), _outbox.c.claimed_until < now),
            ~blocked_by_older,
            ~waiting_for_card,
        )
        .order_by(case((_outbox.c.kind == CARD_UPDATE, 0), else_=1), _outbox.c.id)
    )


@dataclass(frozen=True, slots=True)
class WebhookDelivery:
    """One webhook message as the outbox holds it."""

    id: int
    endpoint: str
    type: str
    status: str
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    last_error: str | None


class WebhookOutbox:
    """Webhook messages in the outbox (the endpoint's name is kept in ``channel``); never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def counts(self) -> dict[tuple[str, str], int]:
        """Messages by (endpoint, status)."""
        query = (
            select(_outbox.c.channel, _outbox.c.status, func.count())
            .where(_outbox.c.kind == WEBHOOK)
            .group_by(_outbox.c.channel, _outbox.c.status)
        )
        return {
            (str(endpoint), str(status)): int(count)
            for endpoint, status, count in self._session.execute(query)
        }

    def latest(self, *, limit: int, failing_only: bool = False) -> list[WebhookDelivery]:
        """The newest messages (only those not delivered yet that have failed, with ``failing_only``)."""
        query = select(_outbox).where(_outbox.c.kind == WEBHOOK)
        if failing_only:
            query = query.where(_outbox.c.status != "sent", _outbox.c.last_error.is_not(None))
        rows = self._session.execute(query.order_by(_outbox.c.id.desc()).limit(limit))
        return [
            WebhookDelivery(
                row.id,
                str(row.channel),
                str((row.payload or {}).get("body", {}).get("type", "?")),
                row.status,
                row.attempts,
                row.created_at,
                row.sent_at,
                row.last_error,
            )
            for row in rows
        ]

    def replay(self, entry_id: int, *, now: datetime) -> bool:
        """Send a webhook message again now, with the same id (receivers deduplicate by it)."""
        statement = (
            update(_outbox)
            .where(_outbox.c.id == entry_id, _outbox.c.kind == WEBHOOK)
            .values(status="pending", next_attempt_at=now, claimed_until=None, attempts=0, in_doubt=False)
        )
        return bool(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

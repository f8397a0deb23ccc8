"""The outbox's states: lanes keep order, follow-ups wait for their card, parked entries come back
on their schedule, rate limits spend no attempt, and the channel pace is shared."""

from __future__ import annotations

from datetime import timedelta

from bot.runtime import Runtime, utcnow
from storage.outbox import HANDOFF_CARD, SLA_REMINDER
from tests.builders import parsed
from tests.conftest import SALES_CHANNEL
from tests.e2e.delivery_helpers import sql_events

LEASE = timedelta(seconds=30)


def _claim(runtime: Runtime, *, at: timedelta = timedelta()) -> tuple[int, str, int] | None:
    with runtime.uow() as uow:
        entry = uow.outbox.claim_next(now=utcnow() + at, lease=LEASE)
        uow.commit()
    return None if entry is None else (entry.id, entry.kind, entry.attempts)


def test_a_card_waiting_to_be_retried_holds_back_the_younger_cards_of_its_channel(runtime: Runtime) -> None:
    runtime.ingest(parsed(*sql_events(2)))
    first = _claim(runtime)
    assert first is not None
    with runtime.uow() as uow:
        uow.outbox.retry_later(first[0], at=utcnow() + timedelta(seconds=5), error="429", in_doubt=False)
        uow.commit()

    assert _claim(runtime) is None  # the second card may not overtake the first
    assert _claim(runtime, at=timedelta(seconds=6)) == (first[0], HANDOFF_CARD, 2)


def test_a_card_in_flight_lets_no_other_card_of_its_channel_go(runtime: Runtime) -> None:
    runtime.ingest(parsed(*sql_events(2)))

    assert _claim(runtime) is not None
    assert _claim(runtime) is None


def test_a_follow_up_waits_for_its_card_then_goes(runtime: Runtime) -> None:
    runtime.ingest(parsed(*sql_events(1)))
    with runtime.uow() as uow:
        handoff_id = uow.handoffs.open_for_home(limit=1)[0].id
        uow.outbox.add(kind=SLA_REMINDER, at=utcnow(), handoff_id=handoff_id)
        uow.commit()
    card = _claim(runtime)
    assert card is not None
    with runtime.uow() as uow:
        uow.outbox.park(
            card[0], error="not_in_channel", retry_at=utcnow() + timedelta(hours=1), in_doubt=False
        )
        uow.commit()

    assert _claim(runtime) is None  # the reminder is not parked: it waits
    with runtime.uow() as uow:
        assert uow.outbox.stats(now=utcnow()).by_state == {
            "pending": 1,
            "in_flight": 0,
            "parked": 1,
            "sent": 0,
        }
    card_again = _claim(runtime, at=timedelta(hours=1, seconds=1))
    assert card_again == (card[0], HANDOFF_CARD, 1)  # its slow retry, a fresh attempt
    with runtime.uow() as uow:
        uow.outbox.mark_sent(card[0], at=utcnow())
        uow.commit()
    reminder = _claim(runtime)
    assert reminder is not None
    assert reminder[1] == SLA_REMINDER


def test_a_rate_limit_gives_its_attempt_back(runtime: Runtime) -> None:
    runtime.ingest(parsed(*sql_events(1)))
    for _ in range(10):
        entry = _claim(runtime)
        assert entry is not None
        assert entry[2] == 1  # never more than one attempt spent
        with runtime.uow() as uow:
            uow.outbox.retry_later(entry[0], at=utcnow(), error="429", in_doubt=False, counts=False)
            uow.commit()


def test_two_workers_share_the_channel_pace_and_a_429_slows_it(runtime: Runtime) -> None:
    now = utcnow()
    horizon = timedelta(seconds=10)
    slots = []
    for _ in range(4):  # as if from two replicas in turn: one row, one sequence of slots
        with runtime.uow() as uow:
            slots.append(
                uow.pace.take_slot(channel=SALES_CHANNEL, now=now, min_interval=0.5, horizon=horizon)
            )
            uow.commit()
    assert [(slot.at - now).total_seconds() for slot in slots] == [0, 0.5, 1.0, 1.5]

    with runtime.uow() as uow:
        widened = uow.pace.slow_down(
            channel=SALES_CHANNEL, now=now, wait=timedelta(seconds=30), min_interval=0.5, max_interval=60
        )
        far = uow.pace.take_slot(channel=SALES_CHANNEL, now=now, min_interval=0.5, horizon=horizon)
        uow.commit()
    assert widened == 1.0
    assert not far.taken
    assert far.at - now == timedelta(seconds=30)

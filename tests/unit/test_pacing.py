"""Per-channel pacing and retry backoff of Slack posts."""

from __future__ import annotations

from datetime import timedelta

from bot.slack.pacing import MAX_BACKOFF, ChannelPacer, backoff


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_posts_to_one_channel_are_spaced_by_the_rate() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(2.0, clock=clock)

    waits = [pacer.reserve("C1") for _ in range(4)]

    assert waits == [0.0, 0.5, 1.0, 1.5]


def test_channels_are_paced_independently() -> None:
    pacer = ChannelPacer(1.0, clock=FakeClock())
    pacer.reserve("C1")

    assert pacer.reserve("C2") == 0.0
    assert pacer.reserve("C1") == 1.0


def test_a_rate_limit_holds_the_channel_for_retry_after() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(1.0, clock=clock)

    pacer.hold("C1", 30)
    clock.now += 10

    assert pacer.reserve("C1") == 20.0


def test_time_passing_frees_the_slot() -> None:
    clock = FakeClock()
    pacer = ChannelPacer(1.0, clock=clock)
    pacer.reserve("C1")
    clock.now += 5

    assert pacer.reserve("C1") == 0.0


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff(40) == MAX_BACKOFF == timedelta(minutes=5)

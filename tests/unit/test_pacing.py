"""Retry backoff and rate-limit waits."""

from __future__ import annotations

from datetime import timedelta

from bot.slack.pacing import backoff, rate_limit_wait

CAP = timedelta(minutes=5)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, cap=CAP, jitter=1.0).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert backoff(40, cap=CAP, jitter=1.0) == CAP


def test_backoff_jitter_stays_between_half_and_the_whole_wait() -> None:
    waits = [backoff(3, cap=CAP).total_seconds() for _ in range(200)]

    assert all(4 <= wait <= 8 for wait in waits)
    assert len(set(waits)) > 100  # spread, not one value


def test_a_rate_limit_wait_is_at_least_retry_after() -> None:
    assert rate_limit_wait(30, interval=1.0, jitter=0.0) == timedelta(seconds=30)
    assert rate_limit_wait(30, interval=1.0, jitter=1.0) == timedelta(seconds=31)

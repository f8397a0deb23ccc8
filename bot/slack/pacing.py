"""Per-channel pacing of Slack posts, and the backoff between failed attempts."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import timedelta

MAX_BACKOFF = timedelta(minutes=5)


class ChannelPacer:
    """At most ``rate`` posts per second per channel; a 429 holds the channel for its Retry-After."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, channel: str) -> float:
        """Take the channel's next slot; returns how many seconds to wait before posting."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(channel, now))
            self._next_slot[channel] = slot + self._interval
            return slot - now

    def hold(self, channel: str, seconds: float) -> None:
        """Post nothing more to ``channel`` for ``seconds`` (Slack said so)."""
        with self._lock:
            until = self._clock() + seconds
            self._next_slot[channel] = max(self._next_slot.get(channel, until), until)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff after ``attempts`` failures: 2 s, 4 s, 8 s… capped at five minutes."""
    return min(timedelta(seconds=2 ** min(attempts, 16)), MAX_BACKOFF)

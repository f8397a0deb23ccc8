"""Waits between attempts: exponential backoff with jitter, and the jitter added to Slack's Retry-After.

The pace itself (posts per second per channel) is shared by every replica through the database:
see ``storage.pace``.
"""

from __future__ import annotations

import random
from datetime import timedelta

_jitter = random.Random()  # noqa: S311 (spreading retries, not secrets)


def backoff(attempts: int, *, cap: timedelta, jitter: float | None = None) -> timedelta:
    """The wait after ``attempts`` failures: 2 s, 4 s, 8 s… capped at ``cap``, then scaled by a random
    factor between 0.5 and 1 so that failed entries do not come back together."""
    factor = 0.5 + 0.5 * (_jitter.random() if jitter is None else jitter)
    ceiling = min(timedelta(seconds=2 ** min(max(attempts, 1), 30)), cap)
    return ceiling * factor


def rate_limit_wait(retry_after: float, *, interval: float, jitter: float | None = None) -> timedelta:
    """Slack's Retry-After plus up to one posting interval, so that waiting workers do not all
    come back in the same instant."""
    spread = _jitter.random() if jitter is None else jitter
    return timedelta(seconds=max(retry_after, 0.0) + spread * interval)

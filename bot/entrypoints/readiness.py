"""Slack's part of /readyz: a channel configuration a person must fix makes the service unready;
Slack being down, or refusing a token revoked at run time, does not (the outbox rides either out
while events keep coming in): it is reported beside the answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

from slack_sdk import WebClient

from bot.slack.channel_guard import SlackUnreachable, TokenRefused, inspect_channel


@dataclass(frozen=True)
class SlackState:
    """``configuration``: a problem that makes /readyz fail, or None; ``slack``: "ok" or why not."""

    configuration: str | None
    slack: str


class SlackReadiness:
    """The sales channel checked in the background, remembered for ``cache_seconds``; a probe waits
    at most ``wait_seconds`` for an answer and otherwise gets the last one known."""

    def __init__(
        self,
        client: WebClient,
        *,
        channel: str | None,
        cache_seconds: float,
        wait_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._channel = channel
        self._cache_seconds = cache_seconds
        self._wait_seconds = wait_seconds
        self._clock = clock
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="readyz-slack")
        self._lock = threading.Lock()
        self._pending: Future[SlackState] | None = None
        self._state = SlackState(configuration=None, slack="not checked yet")
        self._checked_at = float("-inf")

    def __call__(self) -> SlackState:
        with self._lock:
            if self._clock() - self._checked_at < self._cache_seconds:
                return self._state
            if self._pending is None:
                self._pending = self._executor.submit(self._check, self._state)
            pending = self._pending
        try:
            state = pending.result(timeout=self._wait_seconds)
        except FutureTimeout:
            return SlackState(
                self._state.configuration, f"unreachable: no answer in {self._wait_seconds:g} s"
            )
        with self._lock:
            if self._pending is pending:
                self._state, self._checked_at, self._pending = state, self._clock(), None
        return state

    def close(self) -> None:
        """Stop the background checker (a check under way is left to finish on its own)."""
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _check(self, last: SlackState) -> SlackState:
        try:
            problem = inspect_channel(self._client, self._channel, setting="HANDOFF_SALES_CHANNEL").problem
        except SlackUnreachable as exc:
            return SlackState(last.configuration, f"unreachable: {exc}")
        except TokenRefused as exc:
            return SlackState(None, f"refused: {exc}")
        return SlackState(problem, "ok")

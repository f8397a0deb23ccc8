"""Who may act: members of the sales channel, read with ``conversations.members`` and cached briefly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from slack_sdk import WebClient

CACHE_SECONDS = 60.0


class SalesMembership:
    """Answers "is this user in the sales channel?", refreshing the member list every minute."""

    def __init__(
        self, client: WebClient, channel: str | None, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._channel = channel
        self._clock = clock
        self._members: frozenset[str] = frozenset()
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def allows(self, user_id: str) -> bool:
        """Whether ``user_id`` is a member of the sales channel (nobody is, if none is set)."""
        if not self._channel:
            return False
        with self._lock:
            stale = self._fetched_at is None or self._clock() - self._fetched_at > CACHE_SECONDS
            if stale:
                self._members = self._fetch(self._channel)
                self._fetched_at = self._clock()
            return user_id in self._members

    def _fetch(self, channel: str) -> frozenset[str]:
        members: set[str] = set()
        for page in self._client.conversations_members(channel=channel, limit=1000):
            members.update(page.get("members", []))
        return frozenset(members)

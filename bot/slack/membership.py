"""Who may act: members of the channels cards go to, read with ``conversations.members`` and cached
briefly. A card's buttons answer members of the card's channel; ``/lead`` and App Home answer
members of any card channel (the sales channel, and each route's with routing on)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable

from slack_sdk import WebClient

CACHE_SECONDS = 60.0


class SalesMembership:
    """Answers "is this user in that card channel?", refreshing each member list every minute."""

    def __init__(
        self,
        client: WebClient,
        channels: str | Iterable[str] | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        named = [channels] if isinstance(channels, str) else list(channels or [])
        self._channels = tuple(dict.fromkeys(channel for channel in named if channel))
        self._clock = clock
        self._members: dict[str, tuple[frozenset[str], float]] = {}
        self._lock = threading.Lock()

    def allows(self, user_id: str, *, channel: str | None = None) -> bool:
        """Whether ``user_id`` is a member of ``channel`` (one of the card channels), or of any card
        channel when none is given (nobody is, if no channel is set)."""
        if channel is not None:
            return channel in self._channels and user_id in self._members_of(channel)
        return any(user_id in self._members_of(each) for each in self._channels)

    def _members_of(self, channel: str) -> frozenset[str]:
        with self._lock:
            members, fetched_at = self._members.get(channel, (frozenset(), None))
            if fetched_at is None or self._clock() - fetched_at > CACHE_SECONDS:
                members = self._fetch(channel)
                self._members[channel] = (members, self._clock())
            return members

    def _fetch(self, channel: str) -> frozenset[str]:
        members: set[str] = set()
        for page in self._client.conversations_members(channel=channel, limit=1000):
            members.update(page.get("members", []))
        return frozenset(members)

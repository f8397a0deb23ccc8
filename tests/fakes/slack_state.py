"""The fake Slack's state: channels, members, messages, views, files, recorded calls and faults."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a modal or a Home tab
MAX_SECTION_TEXT = 3000
MAX_TEXT = 40000


@dataclass
class Call:
    """One Web API call as received: method, parsed params, headers, and what was answered."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    at: float
    status: int = 200
    response: dict[str, Any] = field(default_factory=dict)


@dataclass
class Fault:
    """An injected failure for the next call of a method: before it is handled (an error status, or
    a slow start), or ``after_store`` (handled and stored, then answered late, with an error status,
    or not at all). Status 0 drops the connection without an answer."""

    status: int
    retry_after: int | None = None
    delay: float | None = None
    after_store: bool = False

    @property
    def drops(self) -> bool:
        """Whether the connection is closed without an answer."""
        return self.status == 0


class SlackState:
    """Everything the fake remembers; every method is safe to call from several threads."""

    def __init__(self, tokens: list[str], rate_per_second: float, burst: int) -> None:
        self.lock = threading.RLock()
        self.tokens = set(tokens)
        self.rate_per_second = rate_per_second
        self.burst = burst
        self.calls: list[Call] = []
        self.channels: dict[str, dict[str, Any]] = {}
        self.members: dict[str, list[str]] = {}
        self.users: dict[str, str] = {}
        self.time_zones: dict[str, str] = {}  # a user's Slack time zone (users.info "tz"); UTC if not set
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, dict[str, Any]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.invalid_blocks: list[dict[str, Any]] = []
        self.rate_limited = 0
        self._buckets: dict[str, tuple[float, float]] = {}
        self.post_times: dict[str, list[float]] = {}  # accepted posts
        self.attempt_times: dict[str, list[float]] = {}  # every post tried, refused ones included
        self._last_ts = 0.0

    def next_ts(self) -> str:
        """A unique, increasing message timestamp from the clock, as Slack's are."""
        with self.lock:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    def take_fault(self, method: str) -> Fault | None:
        """The next injected fault for ``method``, if any."""
        with self.lock:
            queue = self.faults.get(method)
            return queue.pop(0) if queue else None

    def rate_allows(self, channel: str) -> bool:
        """Token bucket per channel: ``rate_per_second`` with ``burst`` capacity."""
        with self.lock:
            now = time.monotonic()
            self.attempt_times.setdefault(channel, []).append(now)
            tokens, last = self._buckets.get(channel, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate_per_second)
            if tokens < 1:
                self._buckets[channel] = (tokens, now)
                self.rate_limited += 1
                return False
            self._buckets[channel] = (tokens - 1, now)
            self.post_times.setdefault(channel, []).append(now)
            return True

    def posts_per_second(self, channel: str) -> dict[int, int]:
        """How many posts ``channel`` accepted in each second since the fake started."""
        with self.lock:
            times = list(self.post_times.get(channel, []))
        counts: dict[int, int] = {}
        for at in times:
            counts[int(at - times[0])] = counts.get(int(at - times[0]), 0) + 1
        return counts

    def busiest_second(self, channel: str, *, attempts: bool = False) -> int:
        """The most posts ``channel`` accepted (or, with ``attempts``, was sent) within any one second
        (a sliding window)."""
        with self.lock:
            times = sorted((self.attempt_times if attempts else self.post_times).get(channel, []))
        start, most = 0, 0
        for end, at in enumerate(times):
            while at - times[start] >= 1.0:
                start += 1
            most = max(most, end - start + 1)
        return most


def block_errors(blocks: list[dict[str, Any]], *, limit: int = MAX_BLOCKS) -> list[str]:
    """What Slack would refuse in ``blocks`` (a message's, unless ``limit`` says otherwise), checked
    with slack_sdk's own models and Slack's limits."""
    errors = []
    if len(blocks) > limit:
        errors.append(f"{len(blocks)} blocks, more than {limit}")
    for index, block in enumerate(blocks):
        try:
            parsed = Block.parse(block)
            if parsed is None:
                raise ValueError("unknown block type")
            parsed.validate_json()
        except Exception as exc:
            errors.append(f"block {index}: {exc}")
        text = (block.get("text") or {}).get("text", "")
        if block.get("type") == "section" and len(text) > MAX_SECTION_TEXT:
            errors.append(f"block {index}: section text of {len(text)} characters")
    return errors


def view_errors(view: dict[str, Any]) -> list[str]:
    """What Slack would refuse in a modal or home view."""
    try:
        View(**view).validate_json()
    except Exception as exc:
        return [str(exc)]
    return block_errors(view.get("blocks", []), limit=MAX_VIEW_BLOCKS)

"""The service's clock: the one place Handoff reads the time of day.

By default it is the system clock. ``HANDOFF_CLOCK_FILE`` points it at a file holding an ISO-8601
instant instead, read at every look, so a rehearsal or an end-to-end test can move a running
service through days of lead life in seconds (Slack's request signatures keep the real time).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

_source: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def utcnow() -> datetime:
    """The current time, timezone-aware, as the service sees it."""
    return _source()


def read_from(path: Path) -> None:
    """From now on, the time is whatever instant ``path`` holds (it must exist and parse now)."""
    global _source
    _instant(path)

    def from_file() -> datetime:
        return _instant(path)

    _source = from_file


@contextmanager
def frozen_at(moment: datetime) -> Iterator[None]:
    """Within the block, the time is ``moment`` (the demo's pictures are drawn at a fixed instant)."""
    global _source
    previous, _source = _source, lambda: moment
    try:
        yield
    finally:
        _source = previous


def _instant(path: Path) -> datetime:
    moment = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    if moment.tzinfo is None:
        raise ValueError(f"{path} holds {moment.isoformat()} without a time zone")
    return moment.astimezone(UTC)

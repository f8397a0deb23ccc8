"""``/lead away until DATE``, ``/lead back`` and ``/lead find TEXT``: the reserved first words of
``/lead``. Dates are read in the rep's Slack time zone: away until the start of that day there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.slack.blocks_routing import AWAY_USAGE

MAX_AWAY_DAYS = 366
_AWAY = re.compile(r"away(?:\s+until)?\s*(?P<day>\S*)\s*", re.IGNORECASE)


class RepCommandError(ValueError):
    """A reserved command written wrong; the message says how to write it."""


@dataclass(frozen=True)
class Away:
    """Away until the start of ``day`` in the rep's time zone."""

    day: date


@dataclass(frozen=True)
class Back:
    """Back now."""


@dataclass(frozen=True)
class Find:
    """A look-up of ``query`` (so a lead named "Back" can still be found)."""

    query: str


RepCommand = Away | Back | Find


def parse_rep_command(text: str) -> RepCommand | None:
    """The reserved command in ``/lead`` text, or None for an ordinary look-up."""
    words = text.split(maxsplit=1)
    first = words[0].lower() if words else ""
    if first == "find":
        return Find(words[1].strip() if len(words) > 1 else "")
    if first == "back" and len(words) == 1:
        return Back()
    if first != "away":
        return None
    match = _AWAY.fullmatch(text.strip())
    if match is None or not match["day"]:
        raise RepCommandError(AWAY_USAGE)
    try:
        return Away(date.fromisoformat(match["day"]))
    except ValueError:
        raise RepCommandError(f"{match['day']!r} is not a date. {AWAY_USAGE}") from None


def away_instant(day: date, *, zone: str | None, now: datetime) -> tuple[datetime, str]:
    """The UTC instant the rep is back (the start of ``day`` in their zone) and the zone's name;
    raises :class:`RepCommandError` for a day that has passed or is over a year away."""
    try:
        tz, name = ZoneInfo(zone or "UTC"), zone or "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        tz, name = ZoneInfo("UTC"), "UTC"
    until = datetime.combine(day, time(0, 0), tz).astimezone(UTC)
    if until <= now:
        raise RepCommandError(f"{day.isoformat()} has passed. {AWAY_USAGE}")
    if until - now > timedelta(days=MAX_AWAY_DAYS):
        raise RepCommandError(f"{day.isoformat()} is more than a year away. {AWAY_USAGE}")
    return until, name

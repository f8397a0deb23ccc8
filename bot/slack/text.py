"""Text for Slack: escaping user data, cutting to Slack's limits, mentions, dates and numbers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

MAX_SECTION_TEXT = 3000
MAX_FALLBACK_TEXT = 3000
MAX_VALUE = 200

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


def truncate(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else cut to fit and ending in "…"."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def escape(text: str) -> str:
    """User-provided text made inert in mrkdwn: no mentions, links or broadcasts."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """The reverse of :func:`escape`, for text that Slack hands back already escaped."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def value(text: object, limit: int = MAX_VALUE) -> str:
    """A user-provided value, cut to ``limit`` characters and escaped for mrkdwn."""
    return escape(truncate(" ".join(str(text).split()), limit))


def fit_mrkdwn(text: str, limit: int) -> str:
    """Cut mrkdwn to ``limit`` without leaving half an ``&amp;`` entity or a ``<...>`` token."""
    if len(text) <= limit:
        return text
    cut = re.sub(r"&[a-z]{0,4}$", "", text[: max(limit - 1, 0)])
    if cut.rfind("<") > cut.rfind(">"):
        cut = cut[: cut.rfind("<")]
    return cut.rstrip() + "…"


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    """A mrkdwn text object cut to ``limit``.

    ``verbatim`` stops Slack from turning bare URLs, #channels and @mentions in
    user data into links or pings; our own ``<@U…>`` and ``<!date…>`` still work.
    """
    return {"type": "mrkdwn", "text": fit_mrkdwn(text, limit) or " ", "verbatim": True}


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object cut to ``limit`` (plain_text is never parsed, so it needs no escaping)."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mention(user_id: str) -> str:
    """``<@U…>`` for a Slack user id, or the escaped text if it is not one."""
    return f"<@{user_id}>" if _USER_ID.match(user_id) else value(user_id, 80)


def channel_link(channel_id: str) -> str:
    """``<#C…>`` for a Slack channel id, or the escaped text if it is not one."""
    return f"<#{channel_id}>" if _CHANNEL_ID.match(channel_id) else value(channel_id, 80)


def aware(moment: datetime) -> datetime:
    """``moment`` with a time zone; a naive value is taken as UTC (how storage keeps times)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def slack_date(moment: datetime, token: str, fallback: str | None = None) -> str:
    """Slack date formatting: each reader sees ``moment`` in their own time zone."""
    moment = aware(moment)
    shown = fallback or moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(moment.timestamp())}^{token}|{shown}>"


def day_of(moment: datetime) -> str:
    """A recycle date, shown as a day in the reader's time zone.

    It is stored as midnight in the team's zone; rounding to the nearest UTC
    midnight recovers the picked day for clients that show the fallback.
    """
    day = (aware(moment).astimezone(UTC) + timedelta(hours=12)).date().isoformat()
    return slack_date(moment, "{date_num}", day)


def points(amount: float) -> str:
    """Signed points, one decimal at most: +40, -5, +12.5."""
    return f"{round(amount, 1):+g}"


def number(amount: float) -> str:
    """Unsigned score, one decimal at most."""
    return f"{round(amount, 1):g}"


def whole(amount: float) -> str:
    """A score or points as a whole number: 112, -15 (a rep needs no decimals)."""
    return f"{round(amount):d}"

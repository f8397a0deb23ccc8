"""Reading a channel's history or a thread page by page (cursors), to find a message by its metadata."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from slack_sdk.web import SlackResponse

PAGE_SIZE = 200  # Slack advises at most 200 messages per history page

FetchPage = Callable[[str | None], SlackResponse]


def messages(fetch: FetchPage) -> Iterator[dict[str, Any]]:
    """Every message ``fetch(cursor)`` pages through, following ``next_cursor`` to the end."""
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page.get("messages") or []
        next_cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not page.get("has_more") or not next_cursor or next_cursor == cursor:
            return
        cursor = next_cursor


def payload(message: dict[str, Any], event_type: str) -> dict[str, Any]:
    """The metadata payload of ``message`` if it is of ``event_type``, else an empty dict."""
    metadata = message.get("metadata") or {}
    if metadata.get("event_type") != event_type:
        return {}
    found: dict[str, Any] = metadata.get("event_payload") or {}
    return found

"""Small builders for test data in the public event shape."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.services.event_input import Parsed, parse_objects

_ids = itertools.count(1)

FIT_LEAD = {
    "name": "Ana Ruiz",
    "company": "Acme",
    "title": "VP Sales",
    "industry": "Software",
    "company_size": 250,
    "country": "US",
    "source": "webinar",
    "campaign": "q4-launch",
}


def event(
    email: str = "ana@acme.io",
    type: str = "page_view",
    *,
    ago: timedelta = timedelta(hours=1),
    event_id: str | None = None,
    properties: dict[str, Any] | None = None,
    lead: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event dict as a client would send it."""
    item: dict[str, Any] = {
        "event_id": event_id or f"evt-{next(_ids)}",
        "email": email,
        "type": type,
        "occurred_at": (datetime.now(UTC) - ago).isoformat(),
        "properties": properties or {},
    }
    if lead is not None:
        item["lead"] = lead
    return item


def parsed(*events: dict[str, Any]) -> list[Parsed]:
    """Events validated as every entry point validates them."""
    return list(parse_objects(events))

"""A CRM export's outcome row as an event: ``won``/``lost``/``opportunity`` (or the event types
themselves) become ``closed_won``/``closed_lost``/``opportunity_created``; an amount becomes a
number; a row without ``event_id`` gets one derived from email, outcome and time, so importing
the same export again adds nothing."""

from __future__ import annotations

import hashlib
from typing import Any

from scoring.outcomes import OUTCOME_EVENTS, OutcomeKind

_WORDS = (
    {kind.value: kind.event_type for kind in OutcomeKind}
    | {event_type: event_type for event_type in OUTCOME_EVENTS}
    | {"closed won": "closed_won", "closed lost": "closed_lost", "opportunity created": "opportunity_created"}
)


def outcome_event(row: dict[str, str]) -> dict[str, Any]:
    """The event for one outcome row (the event's own validation refuses what else is wrong in it);
    ValueError when the outcome is none of the known words."""
    email = row.get("email", "").strip()
    when = row.get("occurred_at", "").strip()
    word = row.get("outcome", "").strip().lower()
    event_type = _WORDS.get(word)
    if event_type is None:
        raise ValueError(f"{word!r} is not an outcome: use won, lost or opportunity")
    properties: dict[str, Any] = {}
    if amount := row.get("amount", "").strip():
        properties["amount"] = _number(amount)
    if currency := row.get("currency", "").strip():
        properties["currency"] = currency
    event_id = row.get("event_id", "").strip() or _derived_id(email, event_type, when)
    return {
        "event_id": event_id,
        "email": email,
        "type": event_type,
        "occurred_at": when,
        "properties": properties,
    }


def _number(text: str) -> float | str:
    try:
        return float(text.replace(",", "").replace("_", ""))
    except ValueError:
        return text  # refused, with its words, by the event's validation


def _derived_id(email: str, event_type: str, when: str) -> str:
    digest = hashlib.sha256(f"{email.lower()}|{event_type}|{when}".encode()).hexdigest()[:24]
    return f"outcome-{digest}"

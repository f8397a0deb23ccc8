"""Closed-loop outcomes: what became of a lead after sales took it (from the CRM).

``opportunity_created``, ``closed_won`` and ``closed_lost`` events score nothing; each marks the
lead's outcome at its moment, and the latest in event time wins.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class OutcomeKind(StrEnum):
    """Where a lead ended up in the CRM."""

    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"

    @property
    def event_type(self) -> str:
        """The event type that records this outcome."""
        return _EVENT_TYPES[self]


_EVENT_TYPES = {
    OutcomeKind.OPPORTUNITY: "opportunity_created",
    OutcomeKind.WON: "closed_won",
    OutcomeKind.LOST: "closed_lost",
}
#: Outcome event types and the outcome each records.
OUTCOME_EVENTS: dict[str, OutcomeKind] = {event_type: kind for kind, event_type in _EVENT_TYPES.items()}


@dataclass(frozen=True, slots=True)
class LeadOutcome:
    """An outcome at a moment, with the deal's amount and currency when the CRM gave them."""

    kind: OutcomeKind
    at: datetime
    amount: float | None = None
    currency: str | None = None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready form (stored with the lead, shown by the API)."""
        return {
            "kind": self.kind.value,
            "at": self.at.isoformat(),
            "amount": self.amount,
            "currency": self.currency,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> LeadOutcome | None:
        """Read back :meth:`as_json` (None for none)."""
        if not data:
            return None
        return cls(
            OutcomeKind(data["kind"]),
            datetime.fromisoformat(data["at"]),
            data.get("amount"),
            data.get("currency"),
        )


def outcome_of(event_type: str, at: datetime, properties: Mapping[str, Any]) -> LeadOutcome | None:
    """The outcome an event records, or None if it is not an outcome event."""
    kind = OUTCOME_EVENTS.get(event_type)
    if kind is None:
        return None
    amount = properties.get("amount")
    currency = properties.get("currency")
    return LeadOutcome(
        kind,
        at,
        float(amount) if isinstance(amount, int | float) and not isinstance(amount, bool) else None,
        str(currency).upper() if currency else None,
    )

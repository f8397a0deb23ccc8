"""Events as a card shows them: the model's label for their type and the properties worth showing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from scoring import ScoringModel
from storage.event_log import StoredEvent

MAX_PROPERTY_CHARS = 300


@dataclass(frozen=True, slots=True)
class CardEvent:
    """One event in words: "Booked a demo", its shown properties in order, when, and its rule."""

    event_id: str
    type: str
    label: str
    details: tuple[str, ...]
    occurred_at: datetime
    rule_id: str | None = None


def card_events(
    events: Iterable[StoredEvent], *, model: ScoringModel, show_personal: bool
) -> list[CardEvent]:
    """``events`` in the model's words, personal properties left out unless ``show_personal``."""
    shown = []
    for event in events:
        display = model.event_display(event.type)
        properties = event.properties or {}
        details = tuple(
            _shown_value(properties[name])
            for name in display.show
            if _is_shown(properties.get(name)) and (show_personal or not display.is_personal(name))
        )
        rule = model.engagement_rule_for(event.type, properties)  # the log keeps no rule since 0006
        rule_id = event.rule_id or (rule.id if rule else None)
        shown.append(
            CardEvent(event.event_id, event.type, display.label, details, event.occurred_at, rule_id)
        )
    return shown


def _is_shown(item: object) -> bool:
    return isinstance(item, str | int | float) and not isinstance(item, bool) and str(item).strip() != ""


def _shown_value(item: object) -> str:
    return " ".join(str(item).split())[:MAX_PROPERTY_CHARS]

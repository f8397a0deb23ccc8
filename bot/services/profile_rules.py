"""What a lead's custom attributes and an outcome event's deal fields may hold.

Each check raises ``PropertyError`` (a ValueError with the path to the wrong value), which pydantic
turns into a refusal naming that field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from bot.services.event_rules import PropertyError, free_text

MAX_ATTRIBUTES = 50
MAX_ATTRIBUTE_TEXT = 200
_NAME = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def check_attributes(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """A flat map of names to short strings or finite numbers, at most ``MAX_ATTRIBUTES`` of them."""
    if len(attributes) > MAX_ATTRIBUTES:
        raise PropertyError(f"more than {MAX_ATTRIBUTES} attributes", ())
    checked: dict[str, Any] = {}
    for name, value in attributes.items():
        if not _NAME.fullmatch(name):
            raise PropertyError("is not an attribute name: letters, digits, _ and -, at most 64", (name,))
        checked[name] = _attribute_value(value, name)
    return checked


def _attribute_value(value: Any, name: str) -> str | int | float:
    if isinstance(value, str):
        if len(value) > MAX_ATTRIBUTE_TEXT:
            raise PropertyError(f"is longer than {MAX_ATTRIBUTE_TEXT} characters", (name,))
        try:
            return free_text(value.strip())
        except ValueError as exc:
            raise PropertyError(str(exc), (name,)) from None
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    raise PropertyError("must be a string or a number (an attribute holds one value)", (name,))


def check_outcome(properties: Mapping[str, Any]) -> None:
    """An outcome's ``amount`` is a number of at least 0 and its ``currency`` a three-letter code."""
    amount = properties.get("amount")
    if amount is not None and not (
        isinstance(amount, int | float)
        and not isinstance(amount, bool)
        and math.isfinite(amount)
        and amount >= 0
    ):
        raise PropertyError("must be a number of at least 0 (the deal's amount)", ("properties", "amount"))
    currency = properties.get("currency")
    if currency is not None and not (isinstance(currency, str) and _CURRENCY.fullmatch(currency)):
        raise PropertyError("must be a three-letter currency code such as EUR", ("properties", "currency"))

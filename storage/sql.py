"""Small SQL helpers shared by the repositories."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import orjson

T = TypeVar("T")


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size`` (keeps IN lists under driver limits)."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def json_text(value: Any) -> str:
    """``value`` as JSON text (orjson: JSON columns are written for every event ingested)."""
    return orjson.dumps(value).decode()

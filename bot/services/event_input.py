"""Reading events from JSON Lines, a JSON array or CSV, one item at a time, each validated."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.services.schemas import EventIn, LeadIn, Refusal, refusals_from

_LEAD_FIELDS = set(LeadIn.model_fields)
_EVENT_FIELDS = {"event_id", "email", "type", "occurred_at"}


@dataclass(slots=True)
class Parsed:
    """One input item: its position (line number or index) and the event, or why it was refused."""

    position: int
    event: EventIn | None
    refusals: list[Refusal]


def parse_json_lines(lines: Iterable[str | bytes], *, first: int = 1) -> Iterator[Parsed]:
    """Validate each non-blank line as one JSON event; positions count from ``first``."""
    for position, line in enumerate(lines, start=first):
        if not line.strip():
            continue
        yield _validate_json(position, line)


def _validate_json(position: int, text: str | bytes) -> Parsed:
    try:
        return Parsed(position, EventIn.model_validate_json(text), [])
    except ValidationError as exc:
        if any(error["type"] == "json_invalid" for error in exc.errors()):
            return Parsed(position, None, [Refusal(index=position, field="(json)", error="not valid JSON")])
        return Parsed(position, None, refusals_from(position, exc))


def parse_objects(items: Iterable[Any], *, first: int = 0) -> Iterator[Parsed]:
    """Validate already-decoded JSON values (e.g. the elements of a JSON array)."""
    for position, item in enumerate(items, start=first):
        if not isinstance(item, dict):
            yield Parsed(
                position, None, [Refusal(index=position, field="(event)", error="not a JSON object")]
            )
            continue
        try:
            yield Parsed(position, EventIn.model_validate(item), [])
        except ValidationError as exc:
            yield Parsed(position, None, refusals_from(position, exc))


def parse_csv(lines: Iterable[str]) -> Iterator[Parsed]:
    """Validate CSV rows: event columns, lead columns (``title`` or ``lead.title``), and the rest
    as properties (``url`` or ``properties.url``). Positions are file line numbers."""
    reader = csv.DictReader(iter(lines))
    for row in reader:
        position = reader.line_num
        if None in row:
            refusal = Refusal(index=position, field="(row)", error="more cells than header columns")
            yield Parsed(position, None, [refusal])
            continue
        yield next(parse_objects([_csv_event(row)], first=position))


def _csv_event(row: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = {"properties": {}}
    lead: dict[str, Any] = {}
    for column, value in row.items():
        if value is None or value == "":
            continue
        name = column.strip()
        if name in _EVENT_FIELDS:
            event[name] = value
        elif name.removeprefix("lead.") in _LEAD_FIELDS:
            lead[name.removeprefix("lead.")] = value
        else:
            event["properties"][name.removeprefix("properties.")] = value
    if lead:
        event["lead"] = lead
    return event


def parse_body(body: bytes) -> Iterator[Parsed]:
    """An HTTP body: a JSON array of events, one JSON object, or NDJSON. Raises ValueError if a
    body that starts as a JSON array or object is not valid JSON as a whole."""
    text = body.lstrip()
    if text.startswith(b"["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"body is not a valid JSON array: {exc.msg} at line {exc.lineno}") from None
        return parse_objects(items)
    if text.startswith(b"{") and b"\n" in text.strip():
        try:
            return parse_objects([json.loads(text)])  # one pretty-printed object
        except json.JSONDecodeError:
            pass  # not one object over several lines: read it as NDJSON
    return parse_json_lines(text.splitlines(), first=0)

"""Reading events from JSON Lines or a JSON array, one item at a time, each validated."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json

from bot.services.event_fast import latest_moment, plain_event, plain_events
from bot.services.schemas import EventIn, Refusal, ValidEvent, refusals_from, valid_event

# A JSON string, or one bracket or comma: enough to find the top-level elements of an array.
_ARRAY_TOKENS = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[][{},]', re.DOTALL)
_CLOCK_EVERY = 1000  # lines between two readings of the clock (for events dated in the future)
_EMPTY = "the body is empty: send a JSON array of events, one JSON object or JSON Lines"
_JSON_JARGON = {
    "recursion limit exceeded": "nested too deep",
    "invalid unicode code point": "not UTF-8 text",
    "unexpected end of hex escape": "broken \\u escape (a lone surrogate?)",
}


class InputFormatError(ValueError):
    """Nothing in the input can be read as events; the message says why in one sentence."""


@dataclass(slots=True)
class Parsed:
    """One input item: its position (line number or index) and the event, or why it was refused."""

    position: int
    event: ValidEvent | None
    refusals: Sequence[Refusal] = ()


def parse_json_lines(lines: Iterable[str | bytes], *, first: int = 1) -> Iterator[Parsed]:
    """Validate each non-blank line as one JSON event; positions count from ``first``."""
    latest = latest_moment()
    for position, line in enumerate(lines, start=first):
        if not line.strip():
            continue
        if position % _CLOCK_EVERY == 0:
            latest = latest_moment()
        yield _validate_json(position, line, latest)


def _validate_json(position: int, text: str | bytes, latest: datetime | None = None) -> Parsed:
    plain = plain_event(text, latest=latest)
    if plain is not None:
        return Parsed(position, plain)
    try:
        return Parsed(position, valid_event(EventIn.model_validate_json(text)))
    except ValidationError as exc:
        problem = _json_problem(exc)
        if problem is not None:
            refusal = Refusal(index=position, field="(json)", error=f"not valid JSON: {problem}")
            return Parsed(position, None, [refusal])
        return Parsed(position, None, refusals_from(position, exc))


def _json_problem(exc: ValidationError) -> str | None:
    for error in exc.errors():
        if error["type"] == "json_invalid":
            return plain_json_error(str(error.get("ctx", {}).get("error", "malformed")))
    return None


def plain_json_error(message: str) -> str:
    """The JSON parser's message, in words a client knows what to do with."""
    for jargon, plain in _JSON_JARGON.items():
        message = message.replace(jargon, plain)
    return message


def parse_objects(items: Iterable[Any], *, first: int = 0) -> Iterator[Parsed]:
    """Validate already-decoded JSON values (e.g. the elements of a JSON array)."""
    for position, item in enumerate(items, start=first):
        if not isinstance(item, dict):
            yield Parsed(
                position, None, [Refusal(index=position, field="(event)", error="not a JSON object")]
            )
            continue
        try:
            yield Parsed(position, valid_event(EventIn.model_validate(item)))
        except ValidationError as exc:
            yield Parsed(position, None, refusals_from(position, exc))


def parse_body(body: bytes) -> Iterator[Parsed]:
    """An HTTP body: a JSON array of events, one JSON object, or NDJSON. Raises InputFormatError
    when nothing in it is JSON (an empty body, binary data, a broken array)."""
    text = body.strip()
    if not text:
        raise InputFormatError(_EMPTY)
    if text.startswith(b"["):
        plain = plain_events(text)
        if plain is not None:
            return (Parsed(position, event) for position, event in enumerate(plain))
        try:
            return parse_objects(from_json(text))
        except ValueError as exc:
            problem = plain_json_error(str(exc))
        split = _split_array(text)
        if split is None:
            raise InputFormatError(f"the body is not a valid JSON array: {problem}")
        elements, end = split
        if not text[end:].strip():
            # One bad element (too deep, not UTF-8, a typo) must not cost the others.
            _require_some_json(elements, what="the body is not a valid JSON array")
            return (_validate_json(position, element) for position, element in enumerate(elements))
        # More follows the array: JSON Lines whose first line is an array.
    elif text.startswith(b"{") and b"\n" in text:
        try:
            return parse_objects([from_json(text)])  # one pretty-printed object
        except ValueError:
            pass  # not one object over several lines: read it as NDJSON
    lines = text.splitlines()
    _require_some_json(lines, what="the body is not JSON (an array, one object or JSON Lines)")
    return parse_json_lines(lines, first=0)


def _split_array(text: bytes) -> tuple[list[bytes], int] | None:
    """The texts of the top-level elements of the array ``text`` starts with, and the offset just
    past it; None when its brackets never close. Found by brackets alone, each still to be parsed."""
    depth, start, elements = 0, 1, []
    for token in _ARRAY_TOKENS.finditer(text):
        mark = token.group()
        if mark in (b"[", b"{"):
            depth += 1
        elif mark in (b"]", b"}"):
            depth -= 1
            if depth == 0:
                elements.append(text[start : token.start()])
                return elements, token.end()
        elif mark == b"," and depth == 1:
            elements.append(text[start : token.start()])
            start = token.end()
    return None


def _require_some_json(texts: Sequence[bytes], *, what: str) -> None:
    """Raise InputFormatError unless some non-blank text among ``texts`` is JSON."""
    first_problem = None
    for text in texts:
        if not text.strip():
            continue
        try:
            from_json(text)
            return
        except ValueError as exc:
            first_problem = first_problem or plain_json_error(str(exc))
    raise InputFormatError(f"{what}: {first_problem or 'nothing but blank lines'}")

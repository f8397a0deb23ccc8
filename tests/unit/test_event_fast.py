"""The fast reading of a plain JSON event stores what ``EventIn`` would, and refuses nothing itself.

Each drawn event is near the plain shape (the common case) with one twist a client might send:
whitespace, capitals, other time zones and formats, numbers where text goes, unknown fields.
Whatever the fast reading accepts, ``EventIn`` accepts with the same values; whatever it does not,
the events are read (and refused, in the same words) as ``EventIn`` reads them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.services.event_fast import plain_event, plain_events
from bot.services.event_input import Parsed, parse_body, parse_json_lines
from bot.services.schemas import EventIn, valid_event

NOW = datetime.now(UTC)
TIMES = st.sampled_from(
    [
        "{:%Y-%m-%dT%H:%M:%S.%fZ}",
        "{:%Y-%m-%dT%H:%M:%SZ}",
        "{:%Y-%m-%dT%H:%M:%S+05:30}",
        "{:%Y-%m-%dT%H:%M:%S-23:59}",
        "{:%Y-%m-%dT%H:%M:%S+05:60}",
        "{:%Y-%m-%d %H:%M:%SZ}",
        "{:%Y-%m-%dT%H:%M:%S}",
        "{:%Y-%m-%d}",
        "{:%Y%m%dT%H%M%SZ}",
        "{:%Y-%m-%dT%H:%M:%S.%f1Z}",
    ]
)
AGES = st.sampled_from(
    [timedelta(hours=1), -timedelta(hours=23), -timedelta(days=2), timedelta(days=60 * 365)]
)
TEXTS = st.sampled_from(
    ["Ana Ruiz", " Ana", "Ana\t", "Jürgen", "x" * 101, "x" * 201, "a\x00b", "", "\u2003A"]
)
PROFILE_FIELDS = st.sets(st.sampled_from(["name", "company", "country"]))
TWISTS: list[tuple[str, Any]] = [
    ("email", "Ana@Acme.IO"),
    ("email", " ana@acme.io"),
    ("email", "ana@bücher.de"),
    ("email", "ana@acme"),
    ("email", 7),
    ("event_id", " e-1"),
    ("event_id", ""),
    ("event_id", "e\x1f"),
    ("event_id", "x" * 201),
    ("type", "Page_View"),
    ("type", "page_view "),
    ("type", "closed_won"),
    ("properties", None),
    ("properties", {"amount": -1}),
    ("properties", {"n": 2**64, "f": 1.5, "deep": {"a": [1, "b", None, True]}}),
    ("properties", {"s": "a\x01"}),
    ("extra", 1),
    ("lead", None),
    ("lead", {}),
    ("lead", {"company_size": 12.0}),
    ("lead", {"company_size": True}),
    ("lead", {"company_size": -1}),
    ("lead", {"company_size": "40"}),
    ("lead", {"attributes": {"plan": " pro ", "seats": 3}}),
    ("lead", {"attributes": {"bad name": 1}}),
    ("lead", {"nickname": "x"}),
]


@st.composite
def near_plain(draw: st.DrawFn) -> dict[str, Any]:
    """An event in the plain shape with a few twists."""
    moment = NOW - draw(AGES)
    item: dict[str, Any] = {
        "event_id": "e-1",
        "email": "ana@acme.io",
        "type": "page_view",
        "occurred_at": draw(TIMES).format(moment),
        "properties": {"url": "/pricing"},
        "lead": {name: draw(TEXTS) for name in draw(PROFILE_FIELDS)},
    }
    for field, value in draw(st.lists(st.sampled_from(TWISTS), max_size=3)):
        if field == "lead" and isinstance(value, dict):
            item["lead"] = {**(item["lead"] or {}), **value}
        else:
            item[field] = value
    return item


def _as_event_in(text: bytes) -> Parsed:
    """What ``EventIn`` alone makes of a JSON line."""
    try:
        return Parsed(0, valid_event(EventIn.model_validate_json(text)))
    except ValueError:
        return Parsed(0, None)


@given(st.lists(near_plain(), min_size=1, max_size=4))
def test_the_fast_reading_stores_what_event_in_would_and_refuses_in_its_words(
    items: list[dict[str, Any]],
) -> None:
    lines = [json.dumps(item).encode() for item in items]
    for line, read in zip(lines, parse_json_lines(lines, first=0), strict=True):
        slow = _as_event_in(line)
        fast = plain_event(line)
        assert read.event == slow.event
        assert fast is None or fast == slow.event
        if slow.event is None:
            assert fast is None
            assert read.refusals
    whole = plain_events(json.dumps(items).encode())
    if whole is not None:
        assert whole == [_as_event_in(line).event for line in lines]
    body = [(item.event, item.refusals) for item in parse_body(json.dumps(items).encode())]
    assert [event for event, _ in body] == [_as_event_in(line).event for line in lines]


def test_a_plain_event_is_read_fast_with_its_profile_in_the_model_order() -> None:
    line = json.dumps(
        {
            "event_id": "e-1",
            "email": "ana@acme.io",
            "type": "page_view",
            "occurred_at": f"{NOW - timedelta(hours=1):%Y-%m-%dT%H:%M:%S.%fZ}",
            "lead": {"country": "ES", "company_size": 40, "name": "Ana", "title": None},
        }
    )

    fast = plain_event(line)

    assert fast is not None
    assert fast == valid_event(EventIn.model_validate_json(line))
    assert list(fast.profile or {}) == ["name", "company_size", "country"]

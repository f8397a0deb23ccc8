"""The plain case of an incoming JSON event, decoded and checked without pydantic.

Validating with pydantic cost more CPU than SQLite takes to store the event. An event in the plain
shape (no whitespace around its texts, an ASCII email, an RFC 3339 time to the microsecond, known
fields of the right JSON types) is decoded by msgspec and checked by the rules ``EventIn`` applies,
to the same result. Anything else, and anything those rules refuse, goes through ``EventIn``: it
stays the definition, and it words every refusal.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import msgspec

from bot.clock import utcnow
from bot.services.event_rules import check_properties, email_address, free_text, single_line
from bot.services.profile_rules import check_attributes, check_outcome
from bot.services.schemas import ValidEvent
from scoring.outcomes import OUTCOME_EVENTS

# What both pydantic and datetime.fromisoformat read as the same instant (no "+05:60" offsets).
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)")
_TYPE = re.compile(r"[a-z0-9_]{1,64}")
_MAX_FUTURE = timedelta(days=1)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
# LeadIn's fields in its order, with the longest text each takes (0: the number, -1: attributes).
_FIELDS = (
    ("name", 200),
    ("company", 200),
    ("title", 200),
    ("industry", 100),
    ("company_size", 0),
    ("country", 100),
    ("source", 100),
    ("campaign", 200),
    ("attributes", -1),
)


class NotPlain(ValueError):
    """The event is not in the plain shape: validate it with ``EventIn``."""


class _Lead(msgspec.Struct, forbid_unknown_fields=True):
    name: str | None = None
    company: str | None = None
    title: str | None = None
    industry: str | None = None
    company_size: int | None = None
    country: str | None = None
    source: str | None = None
    campaign: str | None = None
    attributes: dict[str, Any] | None = None


class _Event(msgspec.Struct, forbid_unknown_fields=True):
    event_id: str
    email: str
    type: str
    occurred_at: str
    properties: dict[str, Any] = {}
    lead: _Lead | None = None


_one = msgspec.json.Decoder(_Event).decode
_many = msgspec.json.Decoder(list[_Event]).decode
_NOT_PLAIN = (ValueError, OverflowError, msgspec.MsgspecError)


def latest_moment() -> datetime:
    """The latest ``occurred_at`` accepted now (a clock a little ahead of ours is fine)."""
    return utcnow() + _MAX_FUTURE


def plain_event(text: str | bytes, *, latest: datetime | None = None) -> ValidEvent | None:
    """The event one JSON object holds, or None when ``EventIn`` must look at it. ``latest``:
    ``latest_moment()`` read a moment ago (a reader of many lines reads the clock once per many)."""
    try:
        return _checked(_one(text), latest or latest_moment())
    except _NOT_PLAIN:
        return None


def plain_events(text: bytes) -> list[ValidEvent] | None:
    """The events of a JSON array, or None when ``EventIn`` must look at any of them."""
    try:
        latest = latest_moment()
        return [_checked(item, latest) for item in _many(text)]
    except _NOT_PLAIN:
        return None


def _checked(item: _Event, latest: datetime) -> ValidEvent:
    event_id, kind, properties = item.event_id, item.type, item.properties
    if not (0 < len(event_id) <= 200 and event_id == event_id.strip() and _TYPE.fullmatch(kind)):
        raise NotPlain
    single_line(event_id)
    email = _email(item.email)
    check_properties(properties)
    if kind in OUTCOME_EVENTS:
        check_outcome(properties)
    lead = item.lead
    profile = None if lead is None else _profile(lead)
    return ValidEvent(event_id, email, kind, _moment(item.occurred_at, latest), properties, profile)


@lru_cache(maxsize=1 << 16)  # a lead sends many events
def _email(text: str) -> str:
    """What ``EventIn`` makes of an ASCII address without surrounding whitespace."""
    if not text.isascii() or len(text) > 320 or text != text.strip():
        raise NotPlain
    return email_address(text.lower())


def _moment(text: str, latest: datetime) -> datetime:
    if not _TIME.fullmatch(text):
        raise NotPlain
    moment = datetime.fromisoformat(text).astimezone(UTC)
    if moment < _EARLIEST or moment > latest:
        raise NotPlain
    return moment


def _profile(lead: _Lead) -> dict[str, Any] | None:
    """``LeadIn.model_dump(exclude_none=True) or None``: the given fields in the model's order."""
    values = msgspec.structs.astuple(lead)
    if values[-1] is not None:  # attributes: a dict, no key for the cache
        return _checked_profile(values)
    profile = _known_profile(values)
    return None if profile is None else dict(profile)


@lru_cache(maxsize=1 << 14)  # a lead's events often repeat its profile
def _known_profile(values: tuple[Any, ...]) -> dict[str, Any] | None:
    return _checked_profile(values)


def _checked_profile(values: tuple[Any, ...]) -> dict[str, Any] | None:
    profile: dict[str, Any] = {}
    for (name, longest), value in zip(_FIELDS, values, strict=True):
        if value is None:
            continue
        if longest == 0:
            if not 0 <= value <= 10_000_000:
                raise NotPlain
        elif longest < 0:
            value = check_attributes(value)
        elif len(value) > longest or value != value.strip():
            raise NotPlain
        else:
            free_text(value)
        profile[name] = value
    return profile or None

"""The shape of an incoming event (PRODUCT.md, "An event"), validated at every entry point."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import msgspec
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.clock import utcnow
from bot.services.event_rules import PropertyError, check_properties, email_address, free_text, single_line
from bot.services.profile_rules import check_attributes, check_outcome
from scoring.outcomes import OUTCOME_EVENTS

_TYPE = re.compile(r"^[a-z0-9_]{1,64}$")
_MAX_FUTURE = timedelta(days=1)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)

ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=200), AfterValidator(free_text)
]
# Industry, country and source are kept in columns of 100 characters (the database refuses more).
Label = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100), AfterValidator(free_text)]
EventId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(single_line),
]


class LeadIn(BaseModel):
    """Profile fields an event may carry; each one given replaces the stored value."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    company: ShortText | None = None
    title: ShortText | None = None
    industry: Label | None = None
    company_size: int | None = Field(None, ge=0, le=10_000_000)
    country: Label | None = None
    source: Label | None = None
    campaign: ShortText | None = None
    attributes: dict[str, Any] | None = Field(
        None, description="custom profile fields: names to strings or numbers (scoring rules test them)"
    )

    @field_validator("attributes")
    @classmethod
    def _flat_attributes(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if value is None else check_attributes(value)


class EventIn(BaseModel):
    """One engagement event as received from the API, a JSON Lines file or a CSV file."""

    model_config = ConfigDict(extra="forbid")

    event_id: EventId
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=320)]
    type: Annotated[str, StringConstraints(strip_whitespace=True)]
    occurred_at: datetime
    properties: dict[str, Any] = Field(default_factory=dict)
    lead: LeadIn | None = None

    @field_validator("email")
    @classmethod
    def _email_address(cls, value: str) -> str:
        return email_address(value)

    @field_validator("type")
    @classmethod
    def _type_name(cls, value: str) -> str:
        if not _TYPE.match(value):
            raise ValueError("must be lower-case letters, digits and _ (like page_view), at most 64")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _aware_and_not_future(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("needs a timezone, e.g. 2026-11-20T10:00:00Z")
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            raise ValueError("is out of range once converted to UTC") from None
        if value < _EARLIEST:
            raise ValueError("is before 1970")
        if value - utcnow() > _MAX_FUTURE:
            raise ValueError("is more than a day in the future")
        return value

    @field_validator("properties")
    @classmethod
    def _storable_properties(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_properties(value)

    @model_validator(mode="after")
    def _outcome_amount(self) -> EventIn:
        if self.type in OUTCOME_EVENTS:
            check_outcome(self.properties)
        return self


class ValidEvent(msgspec.Struct, frozen=True, gc=False):
    """A validated event as ingestion stores it: the profile fields it gives (None: none). A
    msgspec struct: ingestion makes one per event, and builds it several times faster."""

    event_id: str
    email: str
    type: str
    occurred_at: datetime
    properties: dict[str, Any]
    profile: dict[str, Any] | None


def valid_event(event: EventIn) -> ValidEvent:
    """What ingestion stores of a validated ``EventIn``."""
    profile = event.lead.model_dump(exclude_none=True) or None if event.lead is not None else None
    return ValidEvent(event.event_id, event.email, event.type, event.occurred_at, event.properties, profile)


class Refusal(BaseModel):
    """Why one event was refused: where it was (index or line) and which field is wrong."""

    index: int
    field: str
    error: str


def refusals_from(index: int, exc: ValidationError) -> list[Refusal]:
    """One refusal per wrong field of the event at ``index``."""
    refusals = []
    for error in exc.errors():
        cause = error.get("ctx", {}).get("error")
        path = cause.path if isinstance(cause, PropertyError) else ()
        where = ".".join(_shown(part) for part in (*error["loc"], *path)) or "(event)"
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] in ("model_type", "dict_type"):
            message = "not a JSON object"
        refusals.append(Refusal(index=index, field=where, error=message))
    return refusals


def _shown(part: str | int) -> str:
    """A key as a refusal names it: at most 40 characters, control characters as ``?``."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]", "?", str(part)[:40])

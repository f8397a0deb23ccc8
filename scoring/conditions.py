"""Tests on one value, as a scoring model writes them: on a profile field, an attribute, or an
event property. Pure data and validation."""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Profile fields a fit rule may test (``email_domain`` is derived from the email), besides
#: ``attributes.<name>`` for a custom attribute.
PROFILE_FIELDS = (
    "email_domain",
    "title",
    "company",
    "industry",
    "company_size",
    "country",
    "source",
    "campaign",
)
_ATTRIBUTE = re.compile(r"attributes\.[A-Za-z0-9_\-]{1,64}")


class Strict(BaseModel):
    """A part of a model file: unknown keys are refused, and it never changes once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(Strict):
    """Exactly one test: ``equals``, ``one_of``, ``matches``, a range (``min``/``max``), ``missing``
    or ``present``. A missing value (absent or blank) passes only ``missing``."""

    equals: str | None = None
    one_of: tuple[str, ...] | None = Field(default=None, min_length=1)
    matches: str | None = Field(default=None, description="regular expression, case-insensitive")
    min: float | None = None
    max: float | None = None
    missing: bool | None = Field(default=None, description="true: the value is absent or blank")
    present: bool | None = Field(default=None, description="true: the value is given")

    @field_validator("matches")
    @classmethod
    def _regex_compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from exc
        return pattern

    @field_validator("missing", "present")
    @classmethod
    def _only_true(cls, flag: bool | None) -> bool | None:
        if flag is False:
            raise ValueError("write `missing: true` or `present: true` (false is the other test)")
        return flag

    @model_validator(mode="after")
    def _exactly_one_test(self) -> Condition:
        tests = [self.equals, self.one_of, self.matches, self.missing, self.present]
        ranged = self.min is not None or self.max is not None
        if sum(test is not None for test in tests) + ranged != 1:
            raise ValueError("give exactly one of equals, one_of, matches, min/max, missing or present")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max")
        return self

    def test(self, value: Any) -> bool:
        """Whether ``value`` satisfies this condition."""
        empty = value is None or (isinstance(value, str) and not value.strip())
        if self.missing:
            return empty
        if self.present:
            return not empty
        if empty:
            return False
        if self.min is not None or self.max is not None:
            return in_range(value, self.min, self.max)
        text = str(value).strip().lower()
        if self.equals is not None:
            return text == self.equals.lower()
        if self.one_of is not None:
            return text in self._options
        return self._regex.search(text) is not None

    @cached_property
    def _options(self) -> frozenset[str]:
        return frozenset(option.lower() for option in self.one_of or ())

    @cached_property
    def _regex(self) -> re.Pattern[str]:
        return re.compile(self.matches or "", re.IGNORECASE)


class FieldTest(Condition):
    """A condition on a named profile field or attribute (one part of an ``all_of``)."""

    field: str

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        return profile_field(name)


def profile_field(name: str) -> str:
    """``name`` if a fit rule may test it, else a ValueError saying what may be tested."""
    if name in PROFILE_FIELDS or _ATTRIBUTE.fullmatch(name):
        return name
    raise ValueError(
        f"{name!r} is not a profile field: use one of {', '.join(PROFILE_FIELDS)} or attributes.<name>"
    )


def number(value: Any) -> float | None:
    """``value`` as a number (a numeric string included), or None."""
    if isinstance(value, bool):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return result if result == result and abs(result) != float("inf") else None


def in_range(value: Any, low: float | None, high: float | None) -> bool:
    """Whether ``value`` is a number within [low, high] (either end open when None)."""
    found = number(value)
    return found is not None and (low is None or found >= low) and (high is None or found <= high)

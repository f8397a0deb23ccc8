"""A team's working time: days, hours and time zone, and the working minutes between two moments
(what an SLA in working hours counts). Pure: the clock is always passed in."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
from pydantic import Field, field_validator, model_validator

from scoring.conditions import Strict

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS_AHEAD = 400
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


class WorkingHours(Strict):
    """When a team works: ``days`` from ``start`` to ``end`` (local "HH:MM") in ``timezone``, but
    not on the public holidays of ``country`` (and ``subdivision``), nor on ``holidays`` (local
    dates)."""

    timezone: str = "UTC"
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    start: str = "09:00"
    end: str = "17:00"
    country: str | None = Field(default=None, description="ISO 3166 code whose public holidays are off")
    subdivision: str | None = Field(default=None, description="its region, e.g. MD for Madrid")
    holidays: tuple[date, ...] = Field(default=(), description="more local dates off")

    @model_validator(mode="after")
    def _known_country(self) -> WorkingHours:
        if self.country is not None:
            try:
                _public_holidays(self.country, self.subdivision)
            except NotImplementedError:
                raise ValueError(
                    f"no public holidays are known for {self.country!r}/{self.subdivision!r}"
                ) from None
        return self

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{name!r} is not a time zone (such as Europe/Madrid)") from None
        return name

    @field_validator("days")
    @classmethod
    def _day_names(cls, days: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [day for day in days if day not in DAYS]
        if wrong or not days:
            raise ValueError(f"days are {', '.join(DAYS)} (at least one); not {', '.join(wrong)}")
        return days

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not _CLOCK.fullmatch(value):
            raise ValueError("a time of day such as 09:00")
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> WorkingHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self

    def is_working(self, moment: datetime) -> bool:
        """Whether ``moment`` (aware) falls in working time."""
        local = moment.astimezone(ZoneInfo(self.timezone))
        opens, closes = self._span(local.date())
        return opens is not None and opens <= local < closes  # type: ignore[operator]

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes from ``start`` to ``end`` (aware; 0 when ``end`` is not later)."""
        zone = ZoneInfo(self.timezone)
        first, last = start.astimezone(zone), end.astimezone(zone)
        total, day = 0.0, first.date()
        while day <= last.date():
            opens, closes = self._span(day)
            if opens is not None and closes is not None:
                overlap = min(closes, last) - max(opens, first)
                total += max(overlap.total_seconds(), 0.0) / 60
            day += timedelta(days=1)
        return total

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` of working time after ``start`` (aware): an SLA's due time. Looks at
        most :data:`MAX_DAYS_AHEAD` days ahead (a calendar with no working day left ends there)."""
        zone = ZoneInfo(self.timezone)
        first = start.astimezone(zone)
        left, day = timedelta(minutes=minutes), first.date()
        for _ in range(MAX_DAYS_AHEAD):
            opens, closes = self._span(day)
            if opens is not None and closes is not None and closes > first:
                begin = max(opens, first)
                if begin + left <= closes:
                    return (begin + left).astimezone(start.tzinfo)
                left -= closes - begin
            day += timedelta(days=1)
        return (first + left).astimezone(start.tzinfo)

    def is_holiday(self, day: date) -> bool:
        """Whether the local date ``day`` is off (a public holiday of the country, or listed)."""
        if day in self.holidays:
            return True
        return self.country is not None and day in _public_holidays(self.country, self.subdivision)

    def _span(self, day: date) -> tuple[datetime | None, datetime | None]:
        if DAYS[day.weekday()] not in self.days or self.is_holiday(day):
            return None, None
        zone = ZoneInfo(self.timezone)
        opens = datetime.combine(day, time.fromisoformat(self.start), zone)
        return opens, datetime.combine(day, time.fromisoformat(self.end), zone)


@cache
def _public_holidays(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # The library's calendar fills itself year by year as dates are asked for.
    return holidays.country_holidays(country, subdiv=subdivision)

"""The weekly digest as plain data: what the SQL aggregation produces and every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from scoring.calibration import Advice

__all__ = ["Advice", "BandRow", "Breakdown", "DigestReport", "OwnerRow", "ReasonCount", "WeekCounts"]


WORKING = "working hours"
CALENDAR = "calendar"
BOTH_CLOCKS = "working hours and calendar"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Deals:
    """A week's outcomes from the CRM: opportunities opened, deals won (and their amounts by
    currency, "" when none was given) and lost."""

    opportunities: int = 0
    won: int = 0
    lost: int = 0
    won_amounts: tuple[tuple[str, float], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.opportunities or self.won or self.lost)


@dataclass(frozen=True)
class WeekCounts:
    """One week's headline numbers."""

    week_start: date
    new_mqls: int = 0  # moves into MQL dated in this week (event time)
    sqls: int = 0  # moves into SQL dated in this week, history handoffs included
    converted: int = 0  # of this week's MQL moves, how many were followed by an MQL→SQL move
    accepted: int = 0
    rejected: int = 0
    recycled: int = 0
    median_seconds_to_decide: float | None = None
    sla_breaches: int = 0
    reminders: int = 0
    escalations: int = 0
    sqls_from_mql: int = 0  # of the week's SQLs, those that were MQLs first
    expired: int = 0
    hand_raise_below_fit: int = 0  # hand-raises not carded: disqualified or below the fit floor
    history_sqls: int = 0  # of the week's SQLs, those too old for a card when Handoff learnt of them
    deals: Deals = Deals()

    @property
    def direct_sqls(self) -> int:
        """SQLs that did not pass through MQL (hand-raises, a lead scoring past both at once)."""
        return self.sqls - self.sqls_from_mql

    @property
    def decisions(self) -> int:
        """Accepted + rejected + recycled."""
        return self.accepted + self.rejected + self.recycled

    @property
    def conversion_rate(self) -> float | None:
        """MQL→SQL conversion of this week's new MQLs (direct SQLs never count)."""
        return _rate(self.converted, self.new_mqls)

    @property
    def acceptance_rate(self) -> float | None:
        """Share of decisions that were accepts."""
        return _rate(self.accepted, self.decisions)

    @property
    def rejection_rate(self) -> float | None:
        """Share of decisions that were rejects."""
        return _rate(self.rejected, self.decisions)

    @property
    def recycle_rate(self) -> float | None:
        """Share of decisions that were recycles."""
        return _rate(self.recycled, self.decisions)

    @property
    def is_empty(self) -> bool:
        """Nothing happened this week."""
        return not (
            self.new_mqls
            or self.sqls
            or self.decisions
            or self.sla_breaches
            or self.expired
            or self.hand_raise_below_fit
        )


@dataclass(frozen=True)
class ReasonCount:
    """How often a reason was given for rejecting or recycling."""

    action: str  # reject or recycle
    reason: str | None
    count: int


@dataclass(frozen=True)
class Breakdown:
    """One source's or campaign's week ("(other)" sums the rest, "(none)" has no value)."""

    name: str
    mqls: int
    sqls: int
    accepted: int
    decided: int

    @property
    def acceptance_rate(self) -> float | None:
        """Share of this group's decisions that were accepts."""
        return _rate(self.accepted, self.decided)


@dataclass(frozen=True)
class BandRow:
    """Decisions on handoffs whose score fell in [low, high) when they were made (high None: no top)."""

    low: float
    high: float | None
    accepted: int
    rejected: int
    recycled: int

    @property
    def decided(self) -> int:
        """All decisions in the band."""
        return self.accepted + self.rejected + self.recycled

    @property
    def label(self) -> str:
        """'50–59', '100+', 'under 50'."""
        if self.high is None:
            return f"{self.low:g}+"
        if self.low <= 0:
            return f"under {self.high:g}"
        return f"{self.low:g}–{self.high - 1:g}"


@dataclass(frozen=True)
class OwnerRow:
    """One rep's (or route's) handoffs opened in the week: what became of them, the median time to
    decide them, and SLA breaches. ``clock`` says how that time is counted: :data:`WORKING` (the
    team's), :data:`CALENDAR` (no team, or one the routing file no longer has), :data:`BOTH_CLOCKS`,
    or None (none decided)."""

    name: str
    handoffs: int = 0
    accepted: int = 0
    rejected: int = 0
    recycled: int = 0
    open: int = 0
    breaches: int = 0
    median_seconds_to_decide: float | None = None
    clock: str | None = None

    @property
    def decided(self) -> int:
        """Accepted + rejected + recycled."""
        return self.accepted + self.rejected + self.recycled

    @property
    def acceptance_rate(self) -> float | None:
        """Share of the decided handoffs that were accepted."""
        return _rate(self.accepted, self.decided)


@dataclass(frozen=True)
class DigestReport:
    """Everything the weekly digest shows."""

    week: WeekCounts
    previous: WeekCounts
    reasons: list[ReasonCount] = field(default_factory=list)
    by_source: list[Breakdown] = field(default_factory=list)
    by_campaign: list[Breakdown] = field(default_factory=list)
    sqls_by_trigger_campaign: list[tuple[str, int]] = field(default_factory=list)
    bands: list[BandRow] = field(default_factory=list)
    history: list[WeekCounts] = field(default_factory=list)  # the last 8 weeks, oldest first, this one last
    advice: list[Advice] = field(default_factory=list)
    timezone: str = "UTC"
    by_owner: list[OwnerRow] = field(default_factory=list)  # routed handoffs per rep, most first
    by_route: list[OwnerRow] = field(default_factory=list)  # and per route

    @property
    def is_empty(self) -> bool:
        """No MQLs, SQLs, decisions or breaches this week."""
        return self.week.is_empty

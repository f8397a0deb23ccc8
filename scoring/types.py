"""Value types of the scoring domain: profiles, events, scores and their explanation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, NamedTuple


class Stage(StrEnum):
    """Where a lead stands. Scoring moves lead → mql → sql; sales decisions move an SQL on."""

    LEAD = "lead"
    MQL = "mql"
    SQL = "sql"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RECYCLED = "recycled"
    EXPIRED = "expired"

    @property
    def is_nurture(self) -> bool:
        """Marketing's stages: scoring may move the lead on from here."""
        return self in _NURTURE


_NURTURE = frozenset({Stage.LEAD, Stage.MQL, Stage.EXPIRED})


class Decision(StrEnum):
    """What a rep decided about a handoff."""

    ACCEPT = "accept"
    REJECT = "reject"
    RECYCLE = "recycle"

    @property
    def past(self) -> str:
        """The decision as reps read it: accepted, rejected, recycled."""
        return str(self.status)

    @property
    def status(self) -> HandoffStatus:
        """The status a handoff closed by this decision takes."""
        return _CLOSES_AS[self]


class HandoffStatus(StrEnum):
    """Where a handoff stands: open (a card awaiting a decision), history (an SQL from an import,
    recorded without a card), or closed by a decision."""

    OPEN = "open"
    HISTORY = "history"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    RECYCLED = "recycled"

    @classmethod
    def decided(cls) -> tuple[HandoffStatus, ...]:
        """The statuses of handoffs a rep has decided."""
        return (cls.ACCEPTED, cls.REJECTED, cls.RECYCLED)


_CLOSES_AS = {
    Decision.ACCEPT: HandoffStatus.ACCEPTED,
    Decision.REJECT: HandoffStatus.REJECTED,
    Decision.RECYCLE: HandoffStatus.RECYCLED,
}

# Why a rep rejected or recycled a handoff: (value, label) in the order reps see them.
REASONS: tuple[tuple[str, str], ...] = (
    ("no_fit", "No fit"),
    ("bad_contact_data", "Bad contact data"),
    ("no_budget", "No budget"),
    ("bad_timing", "Bad timing"),
    ("competitor", "Competitor"),
    ("student_or_job_seeker", "Student or job seeker"),
    ("already_customer", "Already a customer"),
    ("duplicate", "Duplicate"),
    ("other", "Other"),
)
_LABELS = dict(REASONS)


def is_reason(value: str | None) -> bool:
    """Whether ``value`` is one of the fixed decision reasons."""
    return value in _LABELS


def reason_label(value: str) -> str:
    """The label people read for a reason value; an unknown value is shown as it is."""
    return _LABELS.get(value, value)


@dataclass(frozen=True, slots=True)
class LeadProfile:
    """What we know of a person, used by fit rules."""

    email: str
    name: str | None = None
    company: str | None = None
    title: str | None = None
    industry: str | None = None
    company_size: int | None = None
    country: str | None = None
    source: str | None = None
    campaign: str | None = None
    attributes: tuple[tuple[str, str | float], ...] = ()
    # (model, its fit of these values), kept by ``scoring.engine``: a profile's values never change,
    # and a lead's profile object is scored again and again. Not a field ``replace`` copies.
    fit_memo: tuple[object, Any] | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def email_domain(self) -> str:
        """The part of the email after the @, lower-cased."""
        return self.email.rsplit("@", 1)[-1].lower()

    def fit_key(self) -> tuple[object, ...]:
        """The values fit rules can read (everything but the person's name and mailbox)."""
        return (
            self.email_domain,
            self.title,
            self.company,
            self.industry,
            self.company_size,
            self.country,
            self.source,
            self.campaign,
            self.attributes,
        )

    def value_of(self, field_name: str) -> str | float | None:
        """The value a fit rule tests for ``field_name`` (``attributes.<name>`` for an attribute)."""
        if field_name == "email_domain":
            return self.email_domain
        if field_name.startswith("attributes."):
            return dict(self.attributes).get(field_name.removeprefix("attributes."))
        value: str | int | None = getattr(self, field_name)
        return value

    def with_attributes(self, changes: Mapping[str, str | float]) -> tuple[tuple[str, str | float], ...]:
        """The attributes with ``changes`` laid over them (kept sorted by name)."""
        return tuple(sorted({**dict(self.attributes), **changes}.items()))


@dataclass(frozen=True, slots=True)
class Event:
    """One engagement event of a lead."""

    event_id: str
    type: str
    occurred_at: datetime
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Contribution:
    """One rule's share of a score, with how it came about."""

    rule_id: str
    label: str
    kind: str  # "fit" or "engagement"
    points: float
    raw_points: float = 0.0
    events: int = 0
    last_at: datetime | None = None
    capped: bool = False
    disqualifies: bool = False

    @property
    def decay_factor(self) -> float:
        """Share of the raw points left after decay (1.0 when nothing decayed)."""
        if self.kind != "engagement" or self.raw_points == 0:
            return 1.0
        return self.points / self.raw_points


class ScoreTotals(NamedTuple):
    """A score's numbers without its explanation (a tuple: the walk makes one per event)."""

    fit: float
    engagement: float
    disqualified: bool
    at: datetime
    total: float  # fit plus decayed engagement, to one decimal


@dataclass(frozen=True, slots=True)
class Score:
    """A lead's score at a moment, with every contribution that makes it."""

    fit: float
    engagement: float
    contributions: tuple[Contribution, ...]
    disqualified: bool
    at: datetime

    @property
    def total(self) -> float:
        """Fit plus decayed engagement."""
        return round(self.fit + self.engagement, 1)

    def top(self, count: int = 5) -> tuple[Contribution, ...]:
        """The contributions that move the score most, largest first."""
        ranked = sorted(self.contributions, key=lambda c: (-abs(c.points), c.rule_id))
        return tuple(ranked[:count])

    def as_dict(self) -> dict[str, Any]:
        """The score and its explanation as plain JSON-ready data."""
        return {
            "total": self.total,
            "fit": self.fit,
            "engagement": self.engagement,
            "disqualified": self.disqualified,
            "at": self.at.isoformat(),
            "contributions": [
                {
                    "rule": c.rule_id,
                    "label": c.label,
                    "kind": c.kind,
                    "points": c.points,
                    "raw_points": c.raw_points,
                    "events": c.events,
                    "decay": round(1 - c.decay_factor, 3),
                    "last_at": c.last_at.isoformat() if c.last_at else None,
                    "capped": c.capped,
                    "disqualifies": c.disqualifies,
                }
                for c in self.contributions
            ],
        }

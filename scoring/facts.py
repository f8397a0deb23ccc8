"""What the lifecycle reads (facts about a lead, each with its time) and what it says (moves, signals).

Facts are folded in time order; at one instant, events come before a posted card, a card before a
decision, and a decision before a tick of the clock. Events of one instant go by ``event_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from operator import attrgetter
from types import MappingProxyType
from typing import Any, NamedTuple

from scoring.engine import EngagementLedger
from scoring.outcomes import LeadOutcome
from scoring.types import Decision, LeadProfile, Score, Stage


class EventFact(NamedTuple):
    """Something the lead did; ``profile`` holds the profile fields the event carried. (A tuple,
    not a dataclass: a backlog makes hundreds of thousands, and a frozen dataclass is slower to make.)"""

    event_id: str
    type: str
    at: datetime
    properties: Mapping[str, Any] = MappingProxyType({})
    profile: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class DecisionFact:
    """A rep's decision on the lead's open handoff."""

    at: datetime
    action: Decision
    by: str
    reason: str | None = None
    note: str | None = None
    recycle_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class CardFact:
    """A card was posted (or decided) at ``at``: the lead was an SQL from then, whatever came later.

    ``handoff_id`` names the stored handoff, so a replay can tell which SQL episode it belongs to.
    """

    at: datetime
    handoff_id: int | None = None


@dataclass(frozen=True, slots=True)
class Unseen:
    """The SQL the lead became at ``at`` was never carded (it qualified long before anyone saw it,
    as in an import of history): it is recorded, and the lead is back in nurture at once."""

    at: datetime


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passes until ``at`` (the daily job, or the end of a replay)."""

    at: datetime


Fact = EventFact | DecisionFact | CardFact | Unseen | Tick
_RANK = {EventFact: 0, Unseen: 1, CardFact: 1, DecisionFact: 2, Tick: 3}


def fact_order(fact: Fact) -> tuple[datetime, int, str]:
    """The key that sorts facts into the order the lifecycle folds them."""
    return fact.at, _RANK[type(fact)], fact.event_id if isinstance(fact, EventFact) else ""


@dataclass(frozen=True, slots=True)
class EarlierDecision:
    """The last decision on a lead, shown on its card when it comes back."""

    action: Decision
    at: datetime
    by: str
    reason: str | None = None
    note: str | None = None


@dataclass(slots=True)
class LeadLife:
    """Everything the lifecycle knows of one lead after folding its facts up to ``as_of``.

    Not frozen, for speed: the lifecycle changes only its own copy (``scoring.lifecycle.Fold``)."""

    profile: LeadProfile
    ledger: EngagementLedger = field(default_factory=EngagementLedger)
    stage: Stage = Stage.LEAD
    as_of: datetime | None = None
    recycle_until: datetime | None = None
    cool_off_until: datetime | None = None
    below_mql_since: datetime | None = None
    earlier: EarlierDecision | None = None
    owner: str | None = None
    first_source: str | None = None
    first_campaign: str | None = None
    sql_count: int = 0
    outcome: LeadOutcome | None = None

    def copy(self) -> LeadLife:
        """A copy to change (``dataclasses.replace`` is several times slower, on the hot path)."""
        return LeadLife(*_LIFE_FIELDS(self))


_LIFE_FIELDS = attrgetter(*LeadLife.__slots__)  # the fields in the order __init__ takes them


class Cause(StrEnum):
    """What moved a lead."""

    SCORE = "score"
    HAND_RAISE = "hand_raise"
    DECISION = "decision"
    COOL_OFF_ENDED = "cool_off_ended"
    RECYCLE_DATE = "recycle_date"
    FADED = "faded"
    CARDED = "carded"
    UNSEEN = "unseen"

    @property
    def label(self) -> str:
        """The cause in the words a rep reads."""
        return _CAUSE_LABELS[self]


# Moves back to nurture after a decision or an unseen SQL: a lead coming round, not a new MQL.
RETURNS_TO_NURTURE = (Cause.UNSEEN, Cause.COOL_OFF_ENDED, Cause.RECYCLE_DATE)


@dataclass(frozen=True, slots=True)
class Move:
    """A dated change of stage, its cause in words, and the score explanation at that moment.

    ``episode`` numbers a lead's SQL moves (1, 2, …): the n-th SQL is the n-th handoff.
    """

    at: datetime
    from_stage: Stage
    to_stage: Stage
    cause: Cause
    reason: str
    score: Score
    trigger: EventFact | None = None
    returning: EarlierDecision | None = None
    episode: int = 0


class SignalKind(StrEnum):
    """Something worth telling that is not a change of stage."""

    HAND_RAISE_BELOW_FIT = "hand_raise_below_fit"
    OWNER_HAND_RAISE = "owner_hand_raise"
    CARD_WARNING = "card_warning"

    @property
    def label(self) -> str:
        """The signal in the words a rep reads."""
        return _SIGNAL_LABELS[self]


_CAUSE_LABELS = {
    Cause.SCORE: "score",
    Cause.HAND_RAISE: "hand-raise",
    Cause.DECISION: "sales decision",
    Cause.COOL_OFF_ENDED: "cool-off ended",
    Cause.RECYCLE_DATE: "recycle date passed",
    Cause.FADED: "faded",
    Cause.CARDED: "card posted",
    Cause.UNSEEN: "history",
}
_SIGNAL_LABELS = {
    SignalKind.HAND_RAISE_BELOW_FIT: "Hand-raise below fit",
    SignalKind.OWNER_HAND_RAISE: "Owner told of a hand-raise",
    SignalKind.CARD_WARNING: "Warning on the card",
}


@dataclass(frozen=True, slots=True)
class Signal:
    """A signal at a moment, with a short description and who should hear of it."""

    at: datetime
    kind: SignalKind
    detail: str
    event_id: str | None = None
    owner: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """The state after a fact, and what happened on the way."""

    state: LeadLife
    moves: tuple[Move, ...] = ()
    signals: tuple[Signal, ...] = ()

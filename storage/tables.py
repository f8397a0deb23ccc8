"""Database tables (SQLAlchemy 2.0 declarative mapping)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every database (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        return None if value is None else _utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:  # noqa: ARG002
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        if dialect.name == "sqlite":
            return sqlite_datetime
        return super().result_processor(dialect, coltype)


def _utc(value: datetime) -> datetime:
    if value.tzinfo is UTC:
        return value
    if value.tzinfo is None:
        raise ValueError("naive datetime: every stored time must carry a timezone")
    return value.astimezone(UTC)


# SQLite keeps datetimes as text in SQLAlchemy's format ("2026-11-20 10:00:00.000000"); these do
# what its DATETIME type does, with the C ISO functions instead of regular expressions (the
# ingestion path writes two datetimes per event).
def _sqlite_text(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = _utc(value)
    return value.isoformat(" ", "microseconds")[:-6]  # without its "+00:00"


def sqlite_datetime(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value + "+00:00")  # several times faster than .replace()
    except ValueError:  # text with an offset of its own
        moment = None
    if moment is None or moment.tzinfo is None:  # a date alone reads as midnight, naive
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return moment


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class LeadRow(Base):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    email_domain: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str | None] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    industry: Mapped[str | None] = mapped_column(String(100))
    company_size: Mapped[int | None]
    country: Mapped[str | None] = mapped_column(String(100))
    source: Mapped[str | None] = mapped_column(String(100))
    campaign: Mapped[str | None] = mapped_column(String(200))
    stage: Mapped[str] = mapped_column(String(16), default="lead", index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    fit: Mapped[float] = mapped_column(Float, default=0.0)
    engagement: Mapped[float] = mapped_column(Float, default=0.0)
    disqualified: Mapped[bool] = mapped_column(default=False)
    ledger: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recycle_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    scored_at: Mapped[datetime]
    # The lifecycle's state (scoring.facts.LeadLife): the moment it was folded to, the rest of it as
    # JSON, when time alone may move it next, and whether it was derived from the event log yet.
    as_of: Mapped[datetime | None]
    life: Mapped[dict[str, Any] | None]
    derived: Mapped[bool] = mapped_column(default=True, server_default=true())
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    first_source: Mapped[str | None] = mapped_column(String(100))
    first_campaign: Mapped[str | None] = mapped_column(String(200))
    # Drawn anew by every write of the derived state: a copy kept in memory holds while it matches.
    version: Mapped[int | None] = mapped_column(BigInteger)


class LeadSearchTermRow(Base):
    """Each word of a lead's name and company, normalised, for ``/lead`` look-ups by prefix."""

    __tablename__ = "lead_search_terms"
    __table_args__ = (
        Index("ix_lead_search_terms_lead_term", "lead_id", "term"),
        {"sqlite_with_rowid": False},  # the primary key is the table: one B-tree fewer per insert
    )

    # Byte order on PostgreSQL too, so that a prefix is one contiguous range of the index.
    term: Mapped[str] = mapped_column(
        String(64).with_variant(String(64, collation="C"), "postgresql"), primary_key=True
    )
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)


# Written with OR, not IN: SQLite evaluates it for every event appended, and an IN list costs it a
# temporary table each time (migration 0011).
OUTCOME_ROWS = text("(type = 'opportunity_created' OR type = 'closed_won' OR type = 'closed_lost')")


class EventRow(Base):
    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_lead_occurred", "lead_id", "occurred_at"),
        # The digest counts the CRM's outcomes by week: a partial index holds those rows alone.
        Index("ix_events_outcomes", "occurred_at", sqlite_where=OUTCOME_ROWS, postgresql_where=OUTCOME_ROWS),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(200), unique=True)
    # A key on SQLite only: PostgreSQL dropped it for the append's speed (migration 0010).
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rule_id: Mapped[str | None] = mapped_column(String(64))
    received_at: Mapped[datetime]
    profile: Mapped[dict[str, Any] | None]


class StageChangeRow(Base):
    __tablename__ = "stage_changes"
    __table_args__ = (
        Index("ix_stage_changes_to_changed_from_lead", "to_stage", "changed_at", "from_stage", "lead_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    from_stage: Mapped[str] = mapped_column(String(16))
    to_stage: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    fit: Mapped[float] = mapped_column(Float)
    engagement: Mapped[float] = mapped_column(Float)
    explanation: Mapped[dict[str, Any]]
    changed_at: Mapped[datetime]
    cause: Mapped[str] = mapped_column(String(16), server_default="score")
    recorded_at: Mapped[datetime | None]
    trigger_event_id: Mapped[str | None] = mapped_column(String(200))
    campaign: Mapped[str | None] = mapped_column(String(200))
    model_version: Mapped[str | None] = mapped_column(String(80))


class HandoffRow(Base):
    __tablename__ = "handoffs"
    __table_args__ = (
        Index(
            "ix_handoffs_created_sla", "created_at", "sla_due_at", "decided_at", "reminded_at", "escalated_at"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    stage_change_id: Mapped[int] = mapped_column(ForeignKey("stage_changes.id"))
    trigger: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    message_ts: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime]
    sla_due_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    score: Mapped[float] = mapped_column(Float, default=0.0)
    reminded_at: Mapped[datetime | None]
    escalated_at: Mapped[datetime | None]
    episode: Mapped[int] = mapped_column(server_default="1")
    earlier: Mapped[dict[str, Any] | None]
    campaign: Mapped[str | None] = mapped_column(String(200))
    # Routing: the rep who holds the card (None: anyone in its channel), the team and the route
    # that placed it, and when it escalates (counted in the team's working time).
    assignee: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str | None] = mapped_column(String(80))
    route: Mapped[str | None] = mapped_column(String(80))
    escalation_due_at: Mapped[datetime | None]


class AssignmentRow(Base):
    """Append-only: who held a handoff from when, and why (routing, an account owner, a take-over,
    an escalation), with who made the change."""

    __tablename__ = "handoff_assignments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    assignee: Mapped[str] = mapped_column(String(64))
    previous: Mapped[str | None] = mapped_column(String(64))
    cause: Mapped[str] = mapped_column(String(16))
    by_user: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class RepTurnRow(Base):
    """How many handoffs routing has given each rep of a team: whose turn it is, shared by replicas."""

    __tablename__ = "rep_turns"

    team: Mapped[str] = mapped_column(String(80), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    turns: Mapped[int] = mapped_column(Integer, default=0)


class RepStatusRow(Base):
    """A rep's own status: away until a moment (set with ``/lead away``)."""

    __tablename__ = "rep_status"

    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    away_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class AccountOwnerRow(Base):
    """Who owns an account, by its email domain (imported from the CRM)."""

    __tablename__ = "account_owners"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    owner: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime]


class LeadSignalRow(Base):
    """Something the lifecycle noticed that is not a stage change: a hand-raise below the fit floor,
    an accepted lead raising its hand again, a warning on an open card. Once per (lead, kind, event)."""

    __tablename__ = "lead_signals"
    __table_args__ = (
        UniqueConstraint("lead_id", "kind", "event_id", name="uq_lead_signals_once"),
        Index("ix_lead_signals_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime]
    detail: Mapped[str] = mapped_column(Text)
    event_id: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime]


class ScorerStateRow(Base):
    """The scorer's one row: the last event id it has folded, and who holds its lease."""

    __tablename__ = "scorer_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkpoint: Mapped[int] = mapped_column(Integer)
    holder: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None]
    # The scoring model every lead was last derived under (empty until a scorer first records it).
    model_fingerprint: Mapped[str | None] = mapped_column(String(64))
    model_label: Mapped[str | None] = mapped_column(String(120))
    # A window of the log part way through: its last event id, and the last lead id scored in it.
    window_end: Mapped[int | None] = mapped_column(Integer)
    window_lead: Mapped[int | None] = mapped_column(Integer)


class ScorerQuarantineRow(Base):
    """A lead whose derived rows the database refused: left out of its chunk (the others went on),
    replayed from all its events whenever the scorer meets it again, until a replay is stored."""

    __tablename__ = "scorer_quarantine"

    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), primary_key=True)
    since: Mapped[datetime]
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)


class HandoffSignalRow(Base):
    """The rules behind a handoff's score when it was made: what calibration advice groups by."""

    __tablename__ = "handoff_signals"

    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    points: Mapped[float] = mapped_column(Float)


class DecisionRow(Base):
    """Append-only: one row per decision, never updated; one decision per handoff."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), unique=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    recycle_until: Mapped[datetime | None]
    decided_by: Mapped[str] = mapped_column(String(64), index=True)
    decided_at: Mapped[datetime] = mapped_column(index=True)
    seconds_to_decide: Mapped[float] = mapped_column(Float, default=0.0)


class DigestRow(Base):
    """One weekly digest per (week, channel): the row is claimed before posting, so it posts once."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("week_start", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    week_start: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(32))
    claimed_at: Mapped[datetime]
    posted_at: Mapped[datetime | None]
    message_ts: Mapped[str | None] = mapped_column(String(32))


class OutboxRow(Base):
    """Slack messages to deliver, written in the transaction that made them necessary.

    ``lane`` orders delivery: an entry is not sent while an older one of its lane is pending (the
    cards of one channel share a lane; a card's follow-ups share one per handoff).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_lane_status_id", "lane", "status", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    handoff_id: Mapped[int | None] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    lane: Mapped[str | None] = mapped_column(String(64))
    in_doubt: Mapped[bool] = mapped_column(default=False)
    first_attempt_at: Mapped[datetime | None]
    parked_count: Mapped[int] = mapped_column(default=0)


class ChannelPaceRow(Base):
    """Slack's pace per channel, shared by every replica: the next free posting slot and the
    interval between posts (widened after a 429, narrowed slowly back to HANDOFF_POST_RATE)."""

    __tablename__ = "channel_pace"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    next_slot_at: Mapped[datetime]
    interval_seconds: Mapped[float] = mapped_column(Float)


class AdminNoticeRow(Base):
    """A problem a person must fix, said once: the row is inserted by whoever says it first."""

    __tablename__ = "admin_notices"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]


def table(entity: type[Base]) -> Table:
    """The Core table of a mapped class, for bulk statements that bypass the ORM."""
    return cast(Table, entity.__table__)

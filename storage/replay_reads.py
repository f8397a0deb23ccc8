"""What a replay reads of its leads, for a whole chunk's leads in four statements.

A replay derives a lead again from its events, handoffs and decisions, then compares the result
with its stored history; a chunk of the scorer may replay thousands of leads, so each of the four
is read for all of them at once rather than lead by lead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from scoring.types import Decision, HandoffStatus
from storage.event_log import LOGGED_COLUMNS
from storage.event_reads import LoggedEvent
from storage.handoffs import DecisionRecord, HistoryRow, StoredHandoff
from storage.outbox import HANDOFF_CARD
from storage.sql import chunked
from storage.tables import DecisionRow, EventRow, HandoffRow, OutboxRow, StageChangeRow, table

_events = table(EventRow)
_changes = table(StageChangeRow)
_handoffs = table(HandoffRow)
_decisions = table(DecisionRow)
_outbox = table(OutboxRow)


@dataclass
class StoredLife:
    """One lead's stored events (up to the scorer's reach), handoffs, decisions and history."""

    events: list[LoggedEvent] = field(default_factory=list)
    handoffs: list[StoredHandoff] = field(default_factory=list)
    decisions: list[tuple[int, DecisionRecord]] = field(default_factory=list)
    history: list[HistoryRow] = field(default_factory=list)


class ReplayReads:
    """Reads for replays inside the caller's session; never writes."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def lives(self, lead_ids: Iterable[int], *, upto: int) -> dict[int, StoredLife]:
        """Every lead's stored life, its events with id ≤ ``upto`` (what the scorer has reached)."""
        ids = sorted(set(lead_ids))
        lives: dict[int, StoredLife] = defaultdict(StoredLife)
        events = select(*LOGGED_COLUMNS).where(_events.c.id <= upto)
        for row in self._rows(events, _events.c.lead_id, ids, _events.c.occurred_at, _events.c.event_id):
            lives[row.lead_id].events.append(LoggedEvent._make(row))
        for row in self._rows(
            _handoffs_query(), _handoffs.c.lead_id, ids, _handoffs.c.created_at, _handoffs.c.id
        ):
            lives[row.lead_id].handoffs.append(
                StoredHandoff(
                    row.id, row.stage_change_id, row.created_at, HandoffStatus(row.status), row.is_fact
                )
            )
        for row in self._rows(
            _decisions_query(), _decisions.c.lead_id, ids, _decisions.c.decided_at, _decisions.c.id
        ):
            lives[row.lead_id].decisions.append((row[1], DecisionRecord(Decision(row[2]), *row[3:])))
        for row in self._rows(
            _history_query(), _changes.c.lead_id, ids, _changes.c.changed_at, _changes.c.id
        ):
            lives[row.lead_id].history.append(HistoryRow(row.id, tuple(row[2:7]), row.recorded_at))
        return {lead_id: lives[lead_id] for lead_id in ids}

    def _rows(self, query: Select[Any], lead: Any, ids: Sequence[int], *order: Any) -> Iterator[Any]:
        for batch in chunked(ids, 500):
            yield from self._session.execute(query.where(lead.in_(batch)).order_by(lead, *order))


def _handoffs_query() -> Select[Any]:
    card_tried = exists().where(
        _outbox.c.handoff_id == _handoffs.c.id,
        _outbox.c.kind == HANDOFF_CARD,
        or_(_outbox.c.attempts > 0, _outbox.c.status == "sent"),
    )
    is_fact = or_(
        _handoffs.c.message_ts.is_not(None), _handoffs.c.status.in_(HandoffStatus.decided()), card_tried
    )
    columns = (_handoffs.c.id, _handoffs.c.stage_change_id, _handoffs.c.created_at, _handoffs.c.status)
    return select(_handoffs.c.lead_id, *columns, is_fact.label("is_fact"))


def _decisions_query() -> Select[Any]:
    return select(
        _decisions.c.lead_id,
        _decisions.c.handoff_id,
        _decisions.c.action,
        _decisions.c.reason,
        _decisions.c.note,
        _decisions.c.recycle_until,
        _decisions.c.decided_by,
        _decisions.c.decided_at,
    )


def _history_query() -> Select[Any]:
    return select(
        _changes.c.lead_id,
        _changes.c.id,
        _changes.c.changed_at,
        _changes.c.from_stage,
        _changes.c.to_stage,
        _changes.c.cause,
        _changes.c.score,
        _changes.c.recorded_at,
    )

"""Ingestion: append the new events to the event log, once each; scoring is the scorer's pass.

One call is one short transaction: the batch's leads are looked up (or created) by email, and its
events appended unless their ``event_id`` is already stored.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any

from bot.services.schemas import Refusal
from scoring import ScoringModel
from storage.event_log import ReadyEvent
from storage.uow import UnitOfWork

_EVENT_ID, _EMAIL, _TYPE = itemgetter(0), itemgetter(1), itemgetter(2)  # of a ReadyEvent


@dataclass
class IngestResult:
    """What happened to a batch: counts, refusals, unknown types, and (once scored) stage changes."""

    accepted: int = 0
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)
    unknown_types: Counter[str] = field(default_factory=Counter)
    stage_changes: Counter[str] = field(default_factory=Counter)
    lead_ids: set[int] = field(default_factory=set)
    last_event_id: int = 0
    scored: bool = False
    below_fit: int = 0  # hand-raises below the fit floor, once scored (counted, not carded)

    def add(self, other: IngestResult) -> None:
        """Fold another batch's result into this one."""
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.refused.extend(other.refused)
        self.unknown_types.update(other.unknown_types)
        self.stage_changes.update(other.stage_changes)
        self.below_fit += other.below_fit
        self.lead_ids |= other.lead_ids
        self.last_event_id = max(self.last_event_id, other.last_event_id)

    def as_dict(self) -> dict[str, Any]:
        """The result as the API answers it."""
        answer: dict[str, Any] = {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "refused": [refusal.model_dump() for refusal in self.refused],
            "unknown_types": dict(self.unknown_types),
            "scored": self.scored,
        }
        if self.scored:
            answer["stage_changes"] = dict(self.stage_changes)
        return answer


class LeadIds:
    """Lead ids by email, as committed. A lead keeps its id, so a known email needs no look-up;
    an unknown one is looked up (another process may have created it) or created."""

    def __init__(self, *, limit: int = 200_000) -> None:
        self._ids: dict[str, int] = {}
        self._limit = limit

    def known(self, emails: set[str]) -> dict[str, int]:
        """The ids of those of ``emails`` seen committed before."""
        ids = self._ids
        return {email: ids[email] for email in emails & ids.keys()}

    def remember(self, ids: dict[str, int]) -> None:
        """Keep ids of a committed transaction (dropping all of them once past the limit)."""
        if len(self._ids) + len(ids) > self._limit:
            self._ids.clear()
        self._ids.update(ids)


def append_events(
    *,
    uow: UnitOfWork,
    events: Sequence[ReadyEvent],
    model: ScoringModel,
    now: datetime,
    lead_ids: LeadIds | None = None,
) -> IngestResult:
    """Append the events of ``events`` not stored yet, in one transaction."""
    result = IngestResult()
    unique = _first_of_each_id(events, result)
    if not unique:
        return result
    with uow:
        ids = _lead_ids(uow, set(map(_EMAIL, unique)), now, lead_ids or LeadIds())
        inserted = uow.events.append(unique, lead_ids=ids, received_at=uow.events.values.moment(now))
        result.last_event_id = uow.events.last_id()
        uow.commit()
    if lead_ids is not None:
        lead_ids.remember(ids)
    result.accepted = inserted
    result.duplicates += len(unique) - inserted
    result.lead_ids = set(ids.values())
    types = Counter(map(_TYPE, unique))
    result.unknown_types.update({kind: n for kind, n in types.items() if not model.knows_event(kind)})
    return result


def _first_of_each_id(events: Sequence[ReadyEvent], result: IngestResult) -> Sequence[ReadyEvent]:
    if len(set(map(_EVENT_ID, events))) == len(events):
        return events
    seen: set[str] = set()
    unique = []
    for event in events:
        if event[0] in seen:
            result.duplicates += 1
            continue
        seen.add(event[0])
        unique.append(event)
    return unique


def _lead_ids(uow: UnitOfWork, emails: set[str], now: datetime, cache: LeadIds) -> dict[str, int]:
    ids = cache.known(emails)
    if len(ids) < len(emails):
        ids.update(uow.leads.ids_for(emails - ids.keys()))
    if len(ids) < len(emails):
        ids.update(uow.leads.create_missing(sorted(emails - ids.keys()), at=now))
    if len(ids) < len(emails):  # another process created some of them meanwhile
        ids.update(uow.leads.ids_for(emails - ids.keys()))
    return ids


def tune_garbage_collector_for_bulk_ingest() -> None:
    """Collect cycles every 50,000 allocations instead of 700 (see below); for bulk ingestion."""
    # Ingesting a batch allocates hundreds of thousands of small objects that die young. At the
    # default threshold (700 allocations) the cyclic collector runs hundreds of times per batch,
    # and its full passes walk every long-lived object (the fit cache): a quarter of ingestion time
    # at 100,000 leads. Collecting every 50,000 allocations keeps memory bounded all the same.
    gc.set_threshold(50_000, 20, 100)

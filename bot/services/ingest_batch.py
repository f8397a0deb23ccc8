"""A parsed batch into the event log: the valid events are stored even if the database refuses some.

Each event is first made ready for the database's driver (``ReadyBatch``: a value the driver could
not take, such as a NUL inside JSON for PostgreSQL, is refused then). Validation should leave
nothing for the database to refuse. Should a value get past it all the same, the batch's
transaction fails; the batch is then split in halves, each retried in a fresh
transaction, until the events the database will not take are found and refused alone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice

import msgspec

from bot.services.event_input import Parsed
from bot.services.ingest import IngestResult, LeadIds, append_events
from bot.services.schemas import Refusal
from scoring import ScoringModel
from storage.errors import caused_by_data, one_sentence
from storage.event_log import EventValues, ReadyEvent
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ReadyBatch:
    """A batch's events as the database driver takes them, each with its position, and the
    refusals of its other items (the reader's, or an event the driver could not take)."""

    events: list[tuple[int, ReadyEvent]] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)

    @classmethod
    def of(cls, items: Iterable[Parsed], values: EventValues) -> ReadyBatch:
        """The batch of ``items`` made ready with ``values``."""
        batch = cls()
        for item in items:
            if item.event is None:
                batch.refusals.extend(item.refusals)
                continue
            try:
                batch.events.append((item.position, values(*msgspec.structs.astuple(item.event))))
            except Exception as exc:
                if not caused_by_data(exc):
                    raise
                batch.refusals.append(_refusal(item.position, exc))
        return batch


def batches_of(items: Iterable[Parsed], *, size: int, values: EventValues) -> Iterator[ReadyBatch]:
    """``items`` in batches of ``size``, each made ready with ``values``."""
    items = iter(items)
    while chunk := list(islice(items, size)):
        yield ReadyBatch.of(chunk, values)


def ingest_batch(
    *,
    unit_of_work: Callable[[], UnitOfWork],
    batch: ReadyBatch,
    model: ScoringModel,
    now: datetime,
    lead_ids: LeadIds | None = None,
) -> IngestResult:
    """Store the events of ``batch``; its refusals (and the database's) by position. ``lead_ids``:
    lead ids this process has seen committed, kept across batches."""
    store = _Store(unit_of_work=unit_of_work, model=model, now=now, lead_ids=lead_ids)
    result = store.isolating(batch.events)
    result.refused.extend(batch.refusals)
    result.refused.sort(key=lambda refusal: refusal.index)
    return result


class _Store:
    def __init__(
        self,
        *,
        unit_of_work: Callable[[], UnitOfWork],
        model: ScoringModel,
        now: datetime,
        lead_ids: LeadIds | None,
    ) -> None:
        self.unit_of_work, self.model, self.now, self.lead_ids = unit_of_work, model, now, lead_ids

    def isolating(self, events: list[tuple[int, ReadyEvent]]) -> IngestResult:
        """Ingest ``events`` in one transaction; on a data error, each half in its own."""
        try:
            return append_events(
                uow=self.unit_of_work(),
                events=[event for _, event in events],
                model=self.model,
                now=self.now,
                lead_ids=self.lead_ids,
            )
        except Exception as exc:
            if not caused_by_data(exc):
                raise
            if len(events) == 1:
                return _refused(events[0], exc)
        middle = len(events) // 2
        result = self.isolating(events[:middle])
        result.add(self.isolating(events[middle:]))
        return result


def _refused(item: tuple[int, ReadyEvent], exc: Exception) -> IngestResult:
    position, event = item
    log.warning("event %r at %d could not be stored", event[0], position, exc_info=exc)
    return IngestResult(refused=[_refusal(position, exc)])


def _refusal(position: int, exc: Exception) -> Refusal:
    return Refusal(index=position, field="(event)", error=f"could not be stored: {one_sentence(exc)}")

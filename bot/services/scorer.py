"""The scorer: a pass over the event log from its checkpoint, one chunk per transaction.

One process scores at a time (a lease in the database). Each chunk locks the leads its events
touch, folds or replays them (``lifecycle_writes``), writes their stage changes, handoffs, cards and
signals, and moves the checkpoint, all in one transaction: a crash loses nothing and repeats nothing.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from bot.services.lead_cache import LeadCache
from bot.services.lifecycle_writes import LeadWriter, event_fact
from bot.services.policy import HandoffPolicy
from bot.services.quarantine import Apart, retry_quarantined, store_each_apart, writer_for
from bot.services.rescore import RescorePass, rescore_all
from scoring import ScoringModel
from storage.errors import caused_by_data, one_sentence
from storage.event_reads import LoggedEvent
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
FIRST_CHUNK = 5000  # events in a pass's first chunk, before its pace is known


@dataclass(frozen=True, slots=True)
class ScorerConfig:
    """Who is scoring, how much per transaction at most, and how long its lease and horizon waits are."""

    holder: str
    chunk: int = 50_000
    lease: timedelta = timedelta(seconds=60)
    horizon_wait_seconds: float = 5.0

    @property
    def chunk_seconds(self) -> float:
        """How long a chunk should take: a tenth of the lease, so a chunk never outlives it (and
        on SQLite, appends never wait long for the scorer's write lock)."""
        return self.lease.total_seconds() / 10

    def next_chunk(self, events: int, *, seconds: float) -> int:
        """Events for the next chunk after one of ``events`` took ``seconds``: as many as fit
        :attr:`chunk_seconds` at that pace, at most twice as many, at most :attr:`chunk`."""
        fitting = events * self.chunk_seconds / seconds if seconds > 0 else self.chunk
        return max(1, min(self.chunk, 2 * events, int(fitting)))


@dataclass
class ScorerPass:
    """What one pass did: events folded, stage changes recorded, cards queued, and whether it
    reached the end of the log as it stood when the pass began."""

    events: int = 0
    recorded: Counter[str] = field(default_factory=Counter)
    new_cards: list[str] = field(default_factory=list)
    caught_up: bool = False
    checkpoint: int = 0


def score_pending(
    *,
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: Callable[[], datetime],
    config: ScorerConfig,
    on_chunk: Callable[[ScorerPass], None] | None = None,
    cache: LeadCache | None = None,
) -> ScorerPass:
    """Fold every event appended so far, if this process may score; see ``caught_up``. ``cache``:
    the leads this process scored before, kept across passes."""
    done = ScorerPass()
    if not _take_lease(uow_factory, config, now()):
        return done
    _follow_model(uow_factory, model, policy, now, config)
    retry_quarantined(uow_factory=uow_factory, model=model, policy=policy, now=now())
    with uow_factory() as uow:
        horizon = uow.events.horizon(wait_seconds=config.horizon_wait_seconds)
        uow.commit()
    if horizon is None:
        return done
    size = min(config.chunk, FIRST_CHUNK)
    try:
        with (cache if cache is not None else LeadCache()).claimed() as kept:
            _chunks(uow_factory, model, policy, now, config, horizon, size, done, kept, on_chunk)
    finally:
        with uow_factory() as uow:
            uow.scorer.release(holder=config.holder)
            uow.commit()
    return done


def _chunks(
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: Callable[[], datetime],
    config: ScorerConfig,
    horizon: int,
    size: int,
    done: ScorerPass,
    cache: LeadCache,
    on_chunk: Callable[[ScorerPass], None] | None,
) -> None:
    """Chunk after chunk until the horizon, each sized by the pace of the last."""
    started = time.monotonic()
    while _chunk(uow_factory, model, policy, now(), config, horizon, size, done, cache):
        size = config.next_chunk(size, seconds=time.monotonic() - started)
        if on_chunk is not None:
            on_chunk(done)
        started = time.monotonic()


def _chunk(
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: datetime,
    config: ScorerConfig,
    horizon: int,
    size: int,
    done: ScorerPass,
    cache: LeadCache,
) -> bool:
    """One chunk in one transaction; when the database refuses some of its writes, again with each
    lead apart, the refused ones set aside in the quarantine (see ``_score``)."""
    attempt = partial(_chunk_once, uow_factory, model, policy, now, config, horizon, size, done, cache)
    try:
        return attempt(one_by_one=False)
    except Exception as exc:
        cache.clear()  # kept leads were changed in memory by what the database did not keep
        if not caused_by_data(exc):
            raise
        log.warning("the database refused a chunk's writes (%s): scoring it lead by lead", one_sentence(exc))
    try:
        return attempt(one_by_one=True)
    except Exception:
        cache.clear()
        raise


def _chunk_once(
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: datetime,
    config: ScorerConfig,
    horizon: int,
    size: int,
    done: ScorerPass,
    cache: LeadCache,
    *,
    one_by_one: bool,
) -> bool:
    with uow_factory() as uow:
        if not uow.scorer.take_lease(holder=config.holder, now=now, lease=config.lease):
            return False
        checkpoint = uow.scorer.checkpoint()
        events = uow.events.after(checkpoint, upto=horizon, limit=size) if checkpoint < horizon else []
        reached = events[-1].id if events else horizon
        writers = _score(
            uow,
            writer_for(uow, model, policy, now),
            events,
            upto=reached,
            one_by_one=one_by_one,
            cache=cache,
        )
        uow.scorer.advance(to=reached, holder=config.holder)
        uow.commit()
    cache.keep(lead for writer in writers for lead in writer.leads)
    done.events += len(events)
    for writer in writers:
        done.recorded.update(writer.recorded)
        done.new_cards.extend(writer.new_cards)
    done.checkpoint = reached
    done.caught_up = reached >= horizon
    return not done.caught_up


def _score(
    uow: UnitOfWork,
    new_writer: Callable[[], LeadWriter],
    events: list[LoggedEvent],
    *,
    upto: int,
    one_by_one: bool,
    cache: LeadCache,
) -> list[LeadWriter]:
    """Fold or replay each lead the events touch. A quarantined lead is always replayed (its state
    lacks the events it could not store). ``one_by_one``: each lead in a savepoint of its own, and a
    lead the database refuses goes (back) to the quarantine while the others are stored."""
    by_lead: dict[int, list[LoggedEvent]] = defaultdict(list)
    for event in events:
        by_lead[event.lead_id].append(event)
    leads = uow.leads.lock_by_ids(by_lead) if one_by_one else cache.lock(uow, by_lead)
    facts = {lead_id: [event_fact(event) for event in by_lead[lead_id]] for lead_id in sorted(by_lead)}
    aside = set(uow.quarantine.lead_ids()) & facts.keys()
    if one_by_one:
        work: dict[int, Apart] = {i: (leads[i], list(facts[i]), i in aside) for i in facts}
        return store_each_apart(uow, new_writer, work, upto=upto)
    writer = new_writer()
    writer.preload([i for i in facts if i in aside or not writer.folds(leads[i], facts[i])], upto_event=upto)
    for lead_id, new in facts.items():
        writer.apply(leads[lead_id], new, upto_event=upto, whole=lead_id in aside)
    writer.flush()
    uow.quarantine.release(aside)
    return [writer]


def _follow_model(
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: Callable[[], datetime],
    config: ScorerConfig,
) -> None:
    """A scorer whose model is not the one every lead was derived under re-derives them all first
    (the first scorer of a database only records its model)."""
    with uow_factory() as uow:
        recorded, label = uow.scorer.model()
        if recorded is None:
            uow.scorer.record_model(fingerprint=model.fingerprint, label=model.label)
            uow.commit()
    if recorded is None or recorded == model.fingerprint:
        return
    log.info("the scoring model changed from %s to %s: re-deriving every lead", label, model.label)
    job = RescorePass(
        uow_factory=uow_factory, model=model, policy=policy, holder=config.holder, lease=config.lease
    )
    done = rescore_all(job, now=now, wait_seconds=0)
    log.info("re-derived %d leads under %s: %d moved", done.leads, model.label, sum(done.moves.values()))


def _take_lease(uow_factory: Callable[[], UnitOfWork], config: ScorerConfig, now: datetime) -> bool:
    with uow_factory() as uow:
        taken = uow.scorer.take_lease(holder=config.holder, now=now, lease=config.lease)
        uow.commit()
    return taken

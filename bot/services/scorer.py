"""The scorer: a pass over the event log from its checkpoint, a group of leads per transaction.

One process scores at a time (a lease in the database). A pass reads the events after the
checkpoint as a window (``scorer_window``) and scores it a group of leads at a time: each group's
transaction locks its leads, folds or replays them (``lifecycle_writes``), writes their stage
changes, handoffs, cards and signals, and marks how far the window has come; the last group moves
the checkpoint. A crash loses nothing and repeats nothing: a pass resumes after the last group stored.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from bot.services.lead_cache import LeadCache
from bot.services.lifecycle_writes import LeadWriter
from bot.services.policy import HandoffPolicy
from bot.services.quarantine import Apart, retry_quarantined, store_each_apart, writer_for
from bot.services.rescore import RescorePass, rescore_all
from bot.services.scorer_ahead import Ahead, fold_ahead
from bot.services.scorer_parts import PartReport, PartWorker, fresh_connections, window_parts
from bot.services.scorer_window import Window, read_window
from scoring import ScoringModel
from scoring.facts import Fact
from storage.errors import caused_by_data, one_sentence
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
FIRST_CHUNK = 5000  # events in a pass's first group, before its pace is known


class LeaseLost(RuntimeError):
    """Another process took the scorer's lease."""


@dataclass(frozen=True, slots=True)
class ScorerConfig:
    """Who is scoring, how many events it reads at once (a window; also the most it scores per
    transaction), how long its lease and horizon waits are, and how many processes may score a
    large window (``scorer_parts``)."""

    holder: str
    chunk: int = 200_000
    lease: timedelta = timedelta(seconds=60)
    horizon_wait_seconds: float = 5.0
    workers: int = 1

    @property
    def chunk_seconds(self) -> float:
        """How long a group's transaction should take: a tenth of the lease, so it never outlives
        it (and on SQLite, appends never wait long for the scorer's write lock)."""
        return self.lease.total_seconds() / 10

    def next_chunk(self, events: int, *, seconds: float) -> int:
        """Events for the next group after one of ``events`` took ``seconds``: as many as fit
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
    read_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: Callable[[], datetime],
    config: ScorerConfig,
    on_chunk: Callable[[ScorerPass], None] | None = None,
    cache: LeadCache | None = None,
) -> ScorerPass:
    """Fold every event appended so far, if this process may score; see ``caught_up``.
    ``read_factory``: read-only units, where each group's leads are folded before its transaction
    (``scorer_ahead``); ``cache``: the leads this process scored before, kept across passes."""
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
    work = _Work(uow_factory, read_factory, model, policy, now, config, done, on_chunk)
    try:
        with (cache if cache is not None else LeadCache()).claimed() as kept, cycles_collected_after():
            _windows(work, horizon, kept)
    finally:
        with uow_factory() as uow:
            uow.scorer.release(holder=config.holder)
            uow.commit()
    return done


@dataclass(frozen=True)
class _Work:
    """One pass: what it scores with, and what it has done so far (``done``)."""

    uow_factory: Callable[[], UnitOfWork]
    read_factory: Callable[[], UnitOfWork]
    model: ScoringModel
    policy: HandoffPolicy
    now: Callable[[], datetime]
    config: ScorerConfig
    done: ScorerPass
    on_chunk: Callable[[ScorerPass], None] | None


def _windows(work: _Work, horizon: int, cache: LeadCache) -> None:
    """Window after window until the horizon, each scored a group of leads per transaction, each
    group sized by the pace of the last."""
    size = min(work.config.chunk, FIRST_CHUNK)
    while not work.done.caught_up:
        with work.read_factory() as uow:
            window = read_window(uow, horizon=horizon, limit=work.config.chunk)
        if window is None:
            work.done.caught_up = True
            return
        pace = _Pace(work.config, size)
        if not _score_window(work, window, pace, cache):
            return  # another process took the lease
        size = pace.size


def _score_window(work: _Work, window: Window, pace: _Pace, cache: LeadCache) -> bool:
    """A window's groups, the last moving the checkpoint; a large one's second part scored by a
    forked worker meanwhile (``scorer_parts``)."""
    parts = window_parts(window, workers=work.config.workers)
    if parts is None:
        return _score_groups(work, window, pace, cache, last=True)
    first, second = parts
    log.info("scoring %d leads' events in two processes", len(window.facts))
    with PartWorker(partial(_score_part, work, second, cache)) as worker:
        merged = lambda _: _merge(work.done, worker.reports())  # noqa: E731
        if not _score_groups(work, first, pace, cache, last=False, between=merged):
            return False
        reports, finished = worker.wait()
    _merge(work.done, reports)
    if not finished:
        log.warning("the scorer's second process stopped: scoring the rest of its part here")
    return _score_groups(work, second.after(worker.last_lead), pace, cache, last=True)


def _merge(done: ScorerPass, reports: list[PartReport]) -> None:
    for report in reports:
        done.events += report.events
        done.recorded.update(report.recorded)
        done.new_cards.extend(report.new_cards)


def _score_groups(
    work: _Work,
    window: Window,
    pace: _Pace,
    cache: LeadCache,
    *,
    last: bool,
    mark: bool = True,
    between: Callable[[list[int]], object] | None = None,
) -> bool:
    """The window's leads a group per transaction (``last``: its last group moves the checkpoint;
    ``mark``: each marks how far the window has come); ``between``: told each group's leads."""
    for lead_ids, last_group in window.groups(pace.next):
        if not _group(work, window, lead_ids, last=last and last_group, cache=cache, mark=mark):
            return False
        pace.done(sum(len(window.facts[lead_id]) for lead_id in lead_ids))
        if between is not None:
            between(lead_ids)
        if work.on_chunk is not None:
            work.on_chunk(work.done)
    return True


def _score_part(work: _Work, part: Window, cache: LeadCache, report: Callable[[PartReport], None]) -> None:
    """In the forked worker: ``part``'s groups, unmarked (the process that forked it marks the
    window and moves the checkpoint), each reported once committed."""
    fresh_connections(work.uow_factory)
    done = ScorerPass()

    def sent(lead_ids: list[int]) -> None:
        report(PartReport(lead_ids[-1], done.events, Counter(done.recorded), list(done.new_cards)))
        done.events, done.recorded, done.new_cards = 0, Counter(), []

    here = replace(work, done=done, on_chunk=None)
    pace = _Pace(work.config, FIRST_CHUNK)
    if not _score_groups(here, part, pace, cache, last=False, mark=False, between=sent):
        raise LeaseLost("another process took the scorer's lease")


class _Pace:
    """Group sizes: each as many events as fit the config's chunk time at the pace of the last."""

    def __init__(self, config: ScorerConfig, size: int) -> None:
        self.config, self.size, self._started = config, size, time.monotonic()

    def next(self) -> int:
        self._started = time.monotonic()
        return self.size

    def done(self, events: int) -> None:
        seconds = time.monotonic() - self._started
        self.size = self.config.next_chunk(max(events, 1), seconds=seconds)


def _group(
    work: _Work, window: Window, lead_ids: list[int], *, last: bool, cache: LeadCache, mark: bool = True
) -> bool:
    """One group of leads in one transaction; when the database refuses some of its writes, again
    with each lead apart, the refused ones set aside in the quarantine (see ``_score``)."""
    attempt = partial(_group_once, work, window, lead_ids, last, cache, mark=mark)
    try:
        return attempt(one_by_one=False)
    except Exception as exc:
        cache.clear()  # kept leads were changed in memory by what the database did not keep
        if not caused_by_data(exc):
            raise
        log.warning("the database refused a group's writes (%s): scoring it lead by lead", one_sentence(exc))
    try:
        return attempt(one_by_one=True)
    except Exception:
        cache.clear()
        raise


def _group_once(
    work: _Work,
    window: Window,
    lead_ids: list[int],
    last: bool,
    cache: LeadCache,
    *,
    one_by_one: bool,
    mark: bool,
) -> bool:
    """The group's leads folded ahead (``scorer_ahead``), then written in one transaction, which
    holds the lease (else nothing is kept: False) and marks the window or moves the checkpoint."""
    config, done, now = work.config, work.done, work.now()
    facts = {lead_id: window.facts[lead_id] for lead_id in lead_ids}
    ahead = None
    if not one_by_one:
        with work.read_factory() as read:
            ahead = fold_ahead(read, writer_for(read, work.model, work.policy, now), facts, cache)
    with work.uow_factory() as uow:
        new_writer = writer_for(uow, work.model, work.policy, now)
        writers = _score(
            uow, new_writer, facts, upto=window.end, one_by_one=one_by_one, cache=cache, ahead=ahead
        )
        if not uow.scorer.take_lease(holder=config.holder, now=now, lease=config.lease):
            cache.forget(facts)
            return False
        if last:
            uow.scorer.advance(to=window.end, holder=config.holder)
        elif mark:
            uow.scorer.mark_window(end=window.end, lead=lead_ids[-1], holder=config.holder)
        uow.commit()
    cache.keep(lead for writer in writers for lead in writer.leads)
    done.events += sum(len(new) for new in facts.values())
    for writer in writers:
        done.recorded.update(writer.recorded)
        done.new_cards.extend(writer.new_cards)
    if last:
        done.checkpoint = window.end
        done.caught_up = window.end >= window.horizon
    return True


def _score(
    uow: UnitOfWork,
    new_writer: Callable[[], LeadWriter],
    facts: dict[int, list[Fact]],
    *,
    upto: int,
    one_by_one: bool,
    cache: LeadCache,
    ahead: Ahead | None,
) -> list[LeadWriter]:
    """Fold or replay each lead of ``facts`` (its new facts, by lead id), keeping what was folded
    ``ahead`` where it holds. A quarantined lead is always replayed (its state lacks the events it
    could not store). ``one_by_one``: each lead in a savepoint of its own, and a lead the database
    refuses goes (back) to the quarantine while the others are stored."""
    aside = set(uow.quarantine.lead_ids()) & facts.keys()
    if one_by_one:
        leads = uow.leads.lock_by_ids(facts)
        work: dict[int, Apart] = {i: (leads[i], list(facts[i]), i in aside) for i in facts}
        return store_each_apart(uow, new_writer, work, upto=upto)
    if ahead is not None and ahead.holds(uow, aside=aside):
        writer = ahead.writer
        writer.continue_in(uow)
        facts = {lead_id: new for lead_id, new in facts.items() if lead_id not in ahead.stamps}
    else:
        if ahead is not None:
            cache.forget(ahead.stamps)  # folded in memory from what has changed since
        writer = new_writer()
    leads = cache.lock(uow, facts)
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


@contextmanager
def cycles_collected_after() -> Iterator[None]:
    """The cyclic garbage collector paused while a pass scores: nearly all it allocates lives
    until its group is written (the collector's scans of it cost a tenth of the pass); what a pass
    leaves in cycles is collected after it, as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _take_lease(uow_factory: Callable[[], UnitOfWork], config: ScorerConfig, now: datetime) -> bool:
    with uow_factory() as uow:
        taken = uow.scorer.take_lease(holder=config.holder, now=now, lease=config.lease)
        uow.commit()
    return taken

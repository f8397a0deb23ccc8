"""A window's leads scored a group per transaction.

Each group's leads are folded before its transaction where they can be (``scorer_ahead``); the
transaction locks them, keeps those folds where they still hold, folds or replays the others
(``lifecycle_writes``), writes their stage changes, handoffs, cards and signals, checks the lease,
and marks how far the window has come (or, for a window's last group, moves the checkpoint). When
the database refuses some of a group's writes, the group is scored again lead by lead, the refused
leads set aside in the quarantine.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from bot.services.lead_cache import LeadCache
from bot.services.lifecycle_writes import LeadWriter
from bot.services.policy import HandoffPolicy
from bot.services.quarantine import Apart, store_each_apart, writer_for
from bot.services.scorer_ahead import Ahead, fold_ahead
from bot.services.scorer_window import Window
from scoring import ScoringModel
from scoring.facts import Fact
from storage.errors import caused_by_data, deadlocked, one_sentence
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
DEADLOCK_RETRIES = 3


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


@dataclass(frozen=True)
class GroupWork:
    """One pass: what it scores with, and what it has done so far (``done``)."""

    uow_factory: Callable[[], UnitOfWork]
    read_factory: Callable[[], UnitOfWork]
    model: ScoringModel
    policy: HandoffPolicy
    now: Callable[[], datetime]
    config: ScorerConfig
    done: ScorerPass
    on_chunk: Callable[[ScorerPass], None] | None


def score_groups(
    work: GroupWork,
    window: Window,
    pace: Pace,
    cache: LeadCache,
    *,
    last: bool,
    mark: bool = True,
    between: Callable[[list[int]], object] | None = None,
) -> bool:
    """The window's leads a group per transaction (``last``: its last group moves the checkpoint;
    ``mark``: each marks how far the window has come); ``between``: told each group's leads."""
    for lead_ids, last_group in window.groups(pace.next):
        if not score_group(work, window, lead_ids, last=last and last_group, cache=cache, mark=mark):
            return False
        pace.done(sum(len(window.facts[lead_id]) for lead_id in lead_ids))
        if between is not None:
            between(lead_ids)
        if work.on_chunk is not None:
            work.on_chunk(work.done)
    return True


class Pace:
    """Group sizes: each as many events as fit the config's chunk time at the pace of the last."""

    def __init__(self, config: ScorerConfig, size: int) -> None:
        self.config, self.size, self._started = config, size, time.monotonic()

    def next(self) -> int:
        self._started = time.monotonic()
        return self.size

    def done(self, events: int) -> None:
        seconds = time.monotonic() - self._started
        self.size = self.config.next_chunk(max(events, 1), seconds=seconds)


def score_group(
    work: GroupWork, window: Window, lead_ids: list[int], *, last: bool, cache: LeadCache, mark: bool = True
) -> bool:
    """One group of leads in one transaction; when the database refuses some of its writes, again
    with each lead apart, the refused ones set aside in the quarantine (see ``_score``)."""
    attempt = partial(_group_once, work, window, lead_ids, last, cache, mark=mark)
    try:
        return _again_after_deadlocks(attempt, cache)
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


def _again_after_deadlocks(attempt: Callable[..., bool], cache: LeadCache) -> bool:
    """The group, tried again when PostgreSQL ended its transaction to break a deadlock: two
    processes scoring a window lock a team's turns as their cards come, so two teams' turns may be
    locked in opposite orders."""
    for _ in range(DEADLOCK_RETRIES):
        try:
            return attempt(one_by_one=False)
        except Exception as exc:
            if not deadlocked(exc):
                raise
            cache.clear()
            log.info("a deadlock ended a group's transaction (%s): scoring it again", one_sentence(exc))
    return attempt(one_by_one=False)


def _group_once(
    work: GroupWork,
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

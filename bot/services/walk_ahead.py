"""A large window's leads walked through the lifecycle by a forked process.

The lifecycle walk is about half of the scorer's time, and a lead's walk needs nothing but its
state and its new facts. For a window of a backlog scored by ``handoff ingest`` on a machine with
a second core, a worker forked once the window is read walks its leads a block at a time, in id
order, ahead of this process, which writes them (the other half of the work). The worker hands
back each block's walks (new states, moves and signals: far less than the work). A walk is used
only when the lead is still exactly as the worker saw it when its group locks it (the kept object,
whose version stamp the lock checked) and is folded, not replayed; any other lead, and every lead
once the worker fails, is walked here. ``serve`` never forks: its other threads would be copied
mid-work.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import pickle
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy.engine import URL

from bot.services.lead_cache import LeadCache
from bot.services.lead_life import life_of
from bot.services.lifecycle_walk import Walk, walk
from bot.services.lifecycle_writes import LeadWriter
from bot.services.parse_ahead import settle_worker, worker_can_help
from scoring import ScoringModel, score_totals
from scoring.facts import Fact, LeadLife, Tick
from storage.leads import LeadState
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
MIN_EVENTS = 20_000  # a smaller window is not worth a fork
BLOCK = 500  # leads per piece of work handed to the worker, in id order
PATIENCE = 0.05  # seconds to wait for a block the worker is on: about what walking it here takes

# What the worker inherits from this process when it is forked: the leads it walks and their facts.
_inherited: tuple[dict[int, LeadState], dict[int, list[Fact]], ScoringModel, datetime] | None = None


class WalkAhead:
    """The walks of a large window's leads, done by a forked worker a block of leads at a time,
    ahead of this process, which writes them."""

    def __init__(self) -> None:
        self._leads: dict[int, LeadState] = {}
        self._blocks: list[list[int]] = []
        self._block_of: dict[int, int] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[Future[bytes]] = []
        self._walks: dict[int, dict[int, Walk]] = {}
        self._patient = True

    @classmethod
    def planned(cls, uow: UnitOfWork, facts: dict[int, list[Fact]], *, cache: LeadCache) -> WalkAhead:
        """For a large window, its leads read now (and kept in ``cache``, so that their groups lock
        them by version stamp); :meth:`start` then forks the worker."""
        ahead = cls()
        cores = cores_needed(uow.session.get_bind().engine.url)
        if sum(map(len, facts.values())) < MIN_EVENTS or not worker_can_help(cores=cores):
            return ahead
        ids = list(facts)
        ahead._blocks = [ids[start : start + BLOCK] for start in range(0, len(ids), BLOCK)]
        ahead._block_of = {lead_id: number for number, block in enumerate(ahead._blocks) for lead_id in block}
        ahead._leads = cache.load(uow, ahead._block_of)
        return ahead

    def start(self, facts: dict[int, list[Fact]], *, model: ScoringModel, now: datetime) -> None:
        """Fork the worker (outside any transaction: it inherits this process's connections)."""
        if not self._leads:
            return
        global _inherited
        _inherited = (self._leads, facts, model, now)
        try:  # the fork context forks at the first submit: the worker sees ``_inherited``
            context = multiprocessing.get_context("fork")
            self._pool = ProcessPoolExecutor(1, mp_context=context, initializer=settle_worker)
            self._futures = [self._pool.submit(_walk_part, block) for block in self._blocks]
        except BrokenProcessPool:
            self._futures = []
        finally:
            _inherited = None

    def walked(self, lead: LeadState) -> Walk | None:
        """The worker's walk of ``lead``, if it walked the very state this process locked."""
        if self._leads.get(lead.id) is not lead:
            return None
        return self._block(self._block_of[lead.id]).get(lead.id)

    def wait(self, *, timeout: float) -> None:
        """Wait until the worker has done every block it was given (tests: the scorer waits for a
        block only as :meth:`_block` says)."""
        wait(self._futures, timeout=timeout)

    def close(self) -> None:
        """Stop the worker (at the window's end, or when the pass stops)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _block(self, number: int) -> dict[int, Walk]:
        """A block's walks if the worker has done them, or does within ``PATIENCE`` seconds;
        else none, and this process walks the block (taken back from the worker if it has not begun
        it). Once a wait was in vain, the worker is not waited for again until it is found ahead: a
        worker slowed by a busy machine costs little more than its start."""
        walks = self._walks.get(number)
        if walks is None:
            future = self._futures[number] if number < len(self._futures) else None
            walks = self._walks[number] = self._done(future) if future is not None else {}
        return walks

    def _done(self, future: Future[bytes]) -> dict[int, Walk]:
        ahead = future.done()
        if not ahead and (future.cancel() or not self._patient):
            return {}
        try:
            data = future.result(timeout=None if ahead else PATIENCE)
        except TimeoutError:
            self._patient = False
            return {}
        except BrokenProcessPool:
            log.warning("the worker walking leads ahead stopped; walking them in this process")
            self._futures = []
            return {}
        self._patient = True
        return _unpickled(data)


def cores_needed(url: URL) -> int:
    """The cores walking ahead needs: this process's and the worker's, and the database server's
    when it runs on this machine (PostgreSQL on loopback or a local socket: it does half the work
    of writing, and a worker on its core would slow it)."""
    if url.get_backend_name() != "postgresql":
        return 2
    host = url.host or url.query.get("host") or "localhost"
    return 3 if host in _THIS_MACHINE or str(host).startswith("/") else 2


_THIS_MACHINE = ("localhost", "127.0.0.1", "::1")


def _walk_part(lead_ids: list[int]) -> bytes:
    assert _inherited is not None
    leads, facts, model, now = _inherited
    walks = {
        lead_id: _walked(life_of(leads[lead_id]), facts[lead_id], model=model, now=now)
        for lead_id in lead_ids
        if LeadWriter.folds(leads[lead_id], facts[lead_id])
    }
    with _collector_paused():  # pickled here, unpickled by the caller in its own thread
        return pickle.dumps(walks, protocol=pickle.HIGHEST_PROTOCOL)


def _walked(life: LeadLife, facts: list[Fact], *, model: ScoringModel, now: datetime) -> Walk:
    done = walk(life, [*facts, Tick(now)], model=model, now=now)
    done.totals = score_totals(model=model, profile=done.state.profile, ledger=done.state.ledger, at=now)
    return done


def _unpickled(data: bytes) -> dict[int, Walk]:
    with _collector_paused():
        walks: dict[int, Walk] = pickle.loads(data)  # noqa: S301 (our own worker's bytes)
    return walks


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Pickling walks makes or holds millions of small objects at once: the cyclic collector would
    # run dozens of times over the whole heap meanwhile (nine tenths of the time), finding nothing.
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()

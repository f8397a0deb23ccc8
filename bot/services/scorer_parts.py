"""A large window scored by two processes: this one scores the first part of its leads, a forked
worker the second part.

Each process folds a group's leads before its transaction (``scorer_ahead``), so on SQLite, whose
writers take turns, one process folds while the other writes; on PostgreSQL both write at once
(their leads never overlap). The worker reports each group once committed. It marks nothing: the
window's mark and the checkpoint are this process's, which moves the checkpoint only once the second
part is scored too. If the worker stops (killed, out of memory, an error), this process scores what
it did not report; a group it committed but did not report is scored again, which changes nothing
(a lead that has folded its events is replayed to the same state and history). A crash of both
resumes from the window's mark: the second part, whole, is scored again in the same way.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from multiprocessing.connection import Connection
from types import TracebackType

from bot.services.lead_cache import LeadCache
from bot.services.scorer_groups import GroupWork, Pace, ScorerPass, score_groups
from bot.services.scorer_window import Window
from bot.services.spare_core import worker_can_help
from storage.errors import one_sentence
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
PART_EVENTS = 10_000  # the fewest events each part needs for a fork to pay
_INHERITED: list[object] = []


@dataclass(frozen=True)
class PartReport:
    """A group the worker committed: its last lead, and what it did."""

    last_lead: int
    events: int
    recorded: Counter[str]
    new_cards: list[str]


def window_parts(window: Window, *, workers: int) -> tuple[Window, Window] | None:
    """The window's leads in two parts of about as many events each, when a worker may score the
    second: ``workers`` above 1, enough events, no other thread in this process (``serve`` never
    forks: a thread holding a lock at the fork would leave it held in the worker), and a worker that
    can help (``spare_core``)."""
    events = sum(len(facts) for facts in window.facts.values())
    if workers < 2 or events < 2 * PART_EVENTS or not _may_fork():
        return None
    first, counted = [], 0
    for lead_id, facts in window.facts.items():
        if counted >= events // 2:
            break
        first.append(lead_id)
        counted += len(facts)
    second = list(window.facts)[len(first) :]
    return window.part(first), window.part(second)


class LeaseLost(RuntimeError):
    """Another process took the scorer's lease."""


def score_in_parts(work: GroupWork, parts: tuple[Window, Window], pace: Pace, cache: LeadCache) -> bool:
    """The first part's groups here, the second's in a forked worker meanwhile; then whatever the
    worker did not report, the last group moving the checkpoint. False: the lease was lost."""
    first, second = parts
    log.info("scoring %d leads' events in two processes", len(first.facts) + len(second.facts))
    with PartWorker(partial(score_part, work, second, cache, pace.size)) as worker:

        def merged(_: list[int]) -> None:
            merge(work.done, worker.reports())

        if not score_groups(work, first, pace, cache, last=False, between=merged):
            return False
        reports, finished = worker.wait()
    merge(work.done, reports)
    if not finished:
        log.warning("the scorer's second process stopped: scoring the rest of its part here")
    return score_groups(work, second.after(worker.last_lead), pace, cache, last=True)


def merge(done: ScorerPass, reports: list[PartReport]) -> None:
    """Count what the worker reported into this process's pass."""
    for report in reports:
        done.events += report.events
        done.recorded.update(report.recorded)
        done.new_cards.extend(report.new_cards)


def score_part(
    work: GroupWork, part: Window, cache: LeadCache, size: int, report: Callable[[PartReport], None]
) -> None:
    """In the forked worker: ``part``'s groups (the first of ``size`` events), unmarked, each
    reported once committed."""
    fresh_connections(work.uow_factory)
    done = ScorerPass()

    def sent(lead_ids: list[int]) -> None:
        report(PartReport(lead_ids[-1], done.events, Counter(done.recorded), list(done.new_cards)))
        done.events, done.recorded, done.new_cards = 0, Counter(), []

    here = replace(work, done=done, on_chunk=None)
    if not score_groups(here, part, Pace(work.config, size), cache, last=False, mark=False, between=sent):
        raise LeaseLost("another process took the scorer's lease")


def _may_fork() -> bool:
    return threading.active_count() == 1 and worker_can_help()


def fresh_connections(uow_factory: Callable[[], UnitOfWork]) -> None:
    """In a forked worker: connections of its own. Those inherited stay the parent's: their pool is
    kept referenced here, never closed (a worker ends without running finalizers), since closing
    a copy of an SQLite connection in a forked process is unsafe."""
    with uow_factory() as uow:
        engine = uow.session.get_bind()
    _INHERITED.append(engine.pool)  # type: ignore[union-attr]
    engine.dispose(close=False)  # type: ignore[union-attr]


class PartWorker:
    """``score(report)`` run in a forked process; what it reports, as it commits."""

    def __init__(self, score: Callable[[Callable[[PartReport], None]], None]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=_run, args=(score, send), daemon=True)
        self._process.start()
        send.close()
        self.last_lead = 0

    def __enter__(self) -> PartWorker:
        return self

    def reports(self) -> list[PartReport]:
        """What the worker has reported since last asked."""
        return self._received(until_end=False)

    def wait(self) -> tuple[list[PartReport], bool]:
        """Every report until the worker ends, and whether it scored its whole part."""
        received = self._received(until_end=True)
        self._process.join()
        return received, self._process.exitcode == 0

    def _received(self, *, until_end: bool) -> list[PartReport]:
        received: list[PartReport] = []
        try:
            while until_end or self._receive.poll():
                received.append(self._receive.recv())
        except (EOFError, OSError):
            pass  # the worker has ended: all it sent has been read
        if received:
            self.last_lead = received[-1].last_lead
        return received

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process.is_alive():
            self._process.kill()  # its open transaction is rolled back; what it committed stands
        self._process.join()
        self._receive.close()


def _run(score: Callable[[Callable[[PartReport], None]], None], send: Connection) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops this worker
    try:
        score(send.send)
    except Exception as exc:
        log.warning("the scorer's second process stopped: %s", one_sentence(exc))
        os._exit(1)
    finally:
        send.close()

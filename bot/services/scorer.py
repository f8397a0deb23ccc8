"""The scorer: a pass over the event log from its checkpoint, a group of leads per transaction.

One process scores at a time (a lease in the database). A pass reads the events after the
checkpoint as a window (``scorer_window``) and scores it a group of leads at a time
(``scorer_groups``): each group's transaction locks its leads, folds or replays them, writes their
stage changes, handoffs, cards and signals, and marks how far the window has come; the last group
moves the checkpoint. A large window's second half is scored by a forked worker meanwhile
(``scorer_parts``). A crash loses nothing and repeats nothing: a pass resumes after the last group
its process marked.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from bot.services.lead_cache import LeadCache
from bot.services.policy import HandoffPolicy
from bot.services.quarantine import retry_quarantined
from bot.services.rescore import RescorePass, rescore_all
from bot.services.scorer_groups import GroupWork, Pace, ScorerConfig, ScorerPass, score_groups
from bot.services.scorer_parts import score_in_parts, window_parts
from bot.services.scorer_window import read_window
from scoring import ScoringModel
from storage.uow import UnitOfWork

__all__ = ["ScorerConfig", "ScorerPass", "cycles_collected_after", "score_pending"]

log = logging.getLogger(__name__)
FIRST_CHUNK = 5000  # events in a pass's first group, before its pace is known


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
    work = GroupWork(uow_factory, read_factory, model, policy, now, config, done, on_chunk)
    try:
        with (cache if cache is not None else LeadCache()).claimed() as kept, cycles_collected_after():
            _windows(work, horizon, kept)
    finally:
        with uow_factory() as uow:
            uow.scorer.release(holder=config.holder)
            uow.commit()
    return done


def _windows(work: GroupWork, horizon: int, cache: LeadCache) -> None:
    """Window after window until the horizon, each scored a group of leads per transaction, each
    group sized by the pace of the last."""
    size = min(work.config.chunk, FIRST_CHUNK)
    while not work.done.caught_up:
        with work.read_factory() as uow:
            window = read_window(uow, horizon=horizon, limit=work.config.chunk)
        if window is None:
            work.done.caught_up = True
            return
        pace = Pace(work.config, size)
        parts = window_parts(window, workers=work.config.workers)
        if parts is None:
            scored = score_groups(work, window, pace, cache, last=True)
        else:
            scored = score_in_parts(work, parts, pace, cache)
        if not scored:
            return  # another process took the lease
        size = pace.size


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

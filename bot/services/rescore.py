"""Re-deriving every lead under a scoring model: its score, stage and stage history from its stored
events and decisions, by the lifecycle's rules (``LeadWriter.replay``). History gets no card; a live
card only where the lead is an SQL now and its moment is recent. Posted cards and decisions stay.

It runs under the scorer's lease, one page of leads per transaction; a dry run rolls each page back
and reports the moves it would have made.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.services.lifecycle_writes import LeadWriter
from bot.services.policy import HandoffPolicy
from scoring import ScoringModel
from storage.uow import UnitOfWork


class ScorerBusy(RuntimeError):
    """Another process held the scorer's lease for as long as we would wait."""


@dataclass
class Rescored:
    """What a rescore did (or, dry, would do): leads seen, stage moves by (from, to), which leads
    moved, and the cards it queued."""

    leads: int = 0
    moves: Counter[tuple[str, str]] = field(default_factory=Counter)
    moved: list[tuple[str, str, str]] = field(default_factory=list)
    new_cards: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RescorePass:
    """One rescore: the model to derive under, and as whom it holds the scorer's lease."""

    uow_factory: Callable[[], UnitOfWork]
    model: ScoringModel
    policy: HandoffPolicy
    holder: str
    lease: timedelta
    dry_run: bool = False
    page: int = 500


def rescore_all(
    job: RescorePass,
    *,
    now: Callable[[], datetime],
    wait_seconds: float = 30.0,
    on_page: Callable[[Rescored], None] | None = None,
) -> Rescored:
    """Re-derive every lead under ``job.model`` (nothing is kept when ``job.dry_run``)."""
    _take_lease(job, now=now, wait_seconds=wait_seconds)
    done = Rescored()
    try:
        after_id = 0
        while (after_id := _page(job, now(), after_id, done)) > 0:
            if on_page is not None:
                on_page(done)
        if not job.dry_run:
            with job.uow_factory() as uow:
                uow.scorer.record_model(fingerprint=job.model.fingerprint, label=job.model.label)
                uow.commit()
    finally:
        with job.uow_factory() as uow:
            uow.scorer.release(holder=job.holder)
            uow.commit()
    return done


def _page(job: RescorePass, now: datetime, after_id: int, done: Rescored) -> int:
    """Re-derive the next page of leads; the last lead id done, or 0 when there were none."""
    with job.uow_factory() as uow:
        if not uow.scorer.take_lease(holder=job.holder, now=now, lease=job.lease):
            raise ScorerBusy("another process took the scorer's lease during the rescore")
        leads = uow.leads.page(after_id=after_id, limit=job.page, lock=True)
        if not leads:
            return 0
        reached = uow.scorer.reached()
        before = {lead.id: lead.stage.value for lead in leads}
        writer = LeadWriter(uow=uow, model=job.model, policy=job.policy, now=now)
        writer.preload([lead.id for lead in leads], upto_event=reached)
        for lead in leads:
            writer.replay(lead, upto_event=reached)
        writer.flush()
        if not job.dry_run:  # a dry run's page is rolled back as its unit of work closes
            uow.commit()
    done.leads += len(leads)
    done.new_cards.extend(writer.new_cards)
    for lead in leads:
        if (was := before[lead.id]) != lead.stage.value:
            done.moves[(was, lead.stage.value)] += 1
            done.moved.append((lead.email, was, lead.stage.value))
    return leads[-1].id


def _take_lease(job: RescorePass, *, now: Callable[[], datetime], wait_seconds: float) -> None:
    deadline = time.monotonic() + wait_seconds
    while True:
        with job.uow_factory() as uow:
            taken = uow.scorer.take_lease(holder=job.holder, now=now(), lease=job.lease)
            uow.commit()
        if taken:
            return
        if time.monotonic() >= deadline:
            raise ScorerBusy(
                f"the scorer was busy for {wait_seconds:g} s (another process is scoring): try again"
            )
        time.sleep(0.2)  # the scorer ends its chunk and lets go

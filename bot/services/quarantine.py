"""One lead the database will not store never stops the scorer: when a chunk's writes are refused,
its leads are stored each in a savepoint of its own, and those refused are kept aside (with the
database's reason) and replayed from all their events at every pass until one is stored."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from bot.services.lifecycle_writes import LeadWriter
from bot.services.policy import HandoffPolicy
from scoring import ScoringModel
from scoring.facts import Fact
from storage.errors import caused_by_data, one_sentence
from storage.leads import LeadState
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
RETRIES_PER_PASS = 100

#: A lead to store apart: the lead, its new facts, and whether to replay it whole.
Apart = tuple[LeadState, list[Fact], bool]


def writer_for(
    uow: UnitOfWork, model: ScoringModel, policy: HandoffPolicy, now: datetime
) -> Callable[[], LeadWriter]:
    """A maker of writers in ``uow`` (one per lead when leads are stored apart)."""
    return lambda: LeadWriter(uow=uow, model=model, policy=policy, now=now)


def store_each_apart(
    uow: UnitOfWork, new_writer: Callable[[], LeadWriter], work: dict[int, Apart], *, upto: int
) -> list[LeadWriter]:
    """Each lead in a savepoint; the writers of those stored (the others are kept aside)."""
    stored = []
    for lead_id, (lead, new, whole) in work.items():
        writer = new_writer()
        try:
            with uow.session.begin_nested():
                writer.apply(lead, new, upto_event=upto, whole=whole)
                writer.flush()
        except Exception as exc:
            if not caused_by_data(exc):
                raise
            log.error("lead %s could not be stored, kept aside to retry: %s", lead.email, one_sentence(exc))
            uow.quarantine.put(lead_id=lead_id, error=one_sentence(exc), at=writer.now)
            continue
        uow.quarantine.release([lead_id])
        stored.append(writer)
    return stored


def retry_quarantined(
    *,
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: datetime,
    limit: int = RETRIES_PER_PASS,
) -> int:
    """Replay up to ``limit`` leads kept aside (longest waiting first); how many were stored."""
    with uow_factory() as uow:
        waiting = uow.quarantine.lead_ids(limit=limit)
        if not waiting:
            return 0
        leads = uow.leads.lock_by_ids(waiting)
        work: dict[int, Apart] = {lead_id: (lead, [], True) for lead_id, lead in leads.items()}
        stored = store_each_apart(uow, writer_for(uow, model, policy, now), work, upto=uow.scorer.reached())
        uow.commit()
    return len(stored)

"""The daily re-score: decay lowers scores, and a recycled lead past its date may qualify again."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.services.ingest import HandoffPolicy, rescore
from scoring import ScoringModel, Stage
from storage.uow import UnitOfWork

BATCH = 1000
_SCORED_STAGES = (Stage.LEAD, Stage.MQL, Stage.RECYCLED)


def rescore_all(
    *,
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: datetime,
    batch: int = BATCH,
) -> int:
    """Re-score every lead scoring can still move, a batch per transaction; returns the stage changes."""
    moved, after = 0, 0
    while True:
        with uow_factory() as uow:
            leads = uow.leads.lock_batch(after_id=after, limit=batch, stages=_SCORED_STAGES)
            if not leads:
                return moved
            for lead in leads:
                if rescore(uow=uow, lead=lead, model=model, policy=policy, now=now):
                    moved += 1
            uow.leads.save(leads, scored_at=now)
            uow.commit()
        after = leads[-1].id

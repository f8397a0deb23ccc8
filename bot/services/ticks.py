"""Time passing: recycle dates, the end of a rejection's cool-off, faded MQLs expiring.

Each lead carries the earliest moment time alone might move it (``next_due_at``); this pass takes
the leads whose moment has come, a batch per transaction, and dates each move at its own moment.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.services.lifecycle_writes import LeadWriter
from bot.services.policy import HandoffPolicy
from scoring import ScoringModel
from scoring.facts import Tick
from storage.uow import UnitOfWork

BATCH = 500
RECHECK = timedelta(days=1)


def pass_time(
    *,
    uow_factory: Callable[[], UnitOfWork],
    model: ScoringModel,
    policy: HandoffPolicy,
    now: datetime,
    batch: int = BATCH,
) -> Counter[str]:
    """Move every lead that time alone moves by ``now``; returns the stage changes by stage."""
    recorded: Counter[str] = Counter()
    after = 0
    while True:
        with uow_factory() as uow:
            leads = uow.leads.lock_due(now=now, after_id=after, limit=batch)
            if not leads:
                return recorded
            writer = LeadWriter(uow=uow, model=model, policy=policy, now=now)
            for lead in leads:
                writer.apply(lead, [Tick(now)])
                if lead.next_due_at is not None and lead.next_due_at <= now:
                    lead.next_due_at = now + RECHECK  # an MQL still above the threshold: look again later
            writer.flush()
            uow.commit()
        recorded.update(writer.recorded)
        after = leads[-1].id

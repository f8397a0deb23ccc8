"""What the listeners need besides Bolt's own arguments, and the steps several of them share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.runtime import Runtime, utcnow
from bot.services.decisions import DecisionOutcome, DecisionRequest, HandoffNotFound, record_decision
from bot.slack.membership import SalesMembership


@dataclass
class ListenerDeps:
    """The runtime, who may act, how to wake the delivery worker, and the clock."""

    runtime: Runtime
    membership: SalesMembership
    wake_delivery: Callable[[], None]
    now: Callable[[], datetime] = utcnow

    def record(self, request: DecisionRequest) -> DecisionOutcome | None:
        """Record a decision; None when the handoff does not exist."""
        try:
            return record_decision(
                uow=self.runtime.uow(),
                request=request,
                model=self.runtime.model,
                policy=self.runtime.policy,
                now=self.now(),
            )
        except HandoffNotFound:
            return None

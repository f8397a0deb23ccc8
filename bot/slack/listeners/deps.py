"""What the listeners need besides Bolt's own arguments, and the steps several of them share."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.runtime import Runtime, utcnow
from bot.services.decisions import (
    DecisionRequest,
    HandoffNotFound,
    HeldByAnother,
    holder_of,
    record_decision,
)
from bot.slack.blocks import already_decided
from bot.slack.blocks_routing import held_by_another
from bot.slack.membership import SalesMembership

HANDOFF_GONE = "That handoff no longer exists."


@dataclass
class ListenerDeps:
    """The runtime, who may act, how to wake the delivery worker, and the clock."""

    runtime: Runtime
    membership: SalesMembership
    wake_delivery: Callable[[], None]
    now: Callable[[], datetime] = utcnow

    def refusal(self, *, handoff_id: int, user_id: str) -> str | None:
        """Why ``user_id`` may not decide the handoff (it is assigned to another rep), or None."""
        holder = holder_of(uow=self.runtime.read_uow(), handoff_id=handoff_id)
        return held_by_another(holder) if holder is not None and holder != user_id else None

    def decide(self, request: DecisionRequest) -> str | None:
        """Record a decision; None once recorded, else what to tell the rep (decided already, gone,
        or assigned to another rep)."""
        try:
            outcome = record_decision(
                uow=self.runtime.uow(),
                request=request,
                model=self.runtime.model,
                policy=self.runtime.policy,
                now=self.now(),
            )
        except HandoffNotFound:
            return HANDOFF_GONE
        except HeldByAnother as held:
            return held_by_another(held.assignee)
        return None if outcome.recorded else already_decided(outcome.decision)

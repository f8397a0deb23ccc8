"""Where cards go, how long reps have, and which SQLs are recent enough for a card."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.webhooks.config import WebhookConfig
from scoring import ScoringModel
from scoring.routing import Routing


@dataclass(frozen=True, slots=True)
class HandoffPolicy:
    """Where new SQL cards go (the sales channel, or by the routing file), who holds them, and how
    long reps have to act on them."""

    sales_channel: str | None
    sla_minutes: float
    routing: Routing | None = None
    webhooks: WebhookConfig | None = None  # where events go besides Slack


def is_live(moment: datetime, *, model: ScoringModel, now: datetime) -> bool:
    """Whether something that happened at ``moment`` is recent enough to tell sales now (a card, a
    thread line); older history (an import, a backfill) is recorded without a word in Slack."""
    return now - moment <= timedelta(days=model.thresholds.hand_raise_max_age_days)

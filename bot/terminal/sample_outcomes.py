"""A CRM export of outcomes for the generated sample's leads, drawn from a hidden rule (industry,
company size, students, pricing views and product use), so ``handoff model fit`` has something to
find. Reproducible from a seed."""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from bot.terminal.sample import profile

_STRONG_INDUSTRIES = {"Software", "Fintech"}
_NOT_BUYERS = {"Student", "Intern"}


def sample_outcomes(
    events: Iterable[dict[str, Any]], *, now: datetime, seed: int = 9
) -> list[dict[str, str]]:
    """Rows of ``email,outcome,occurred_at,amount,currency``, each after the lead's last event."""
    rng = random.Random(seed)
    last: dict[str, datetime] = {}
    signals: dict[str, Counter[str]] = defaultdict(Counter)
    for event in events:
        email, at = event["email"], datetime.fromisoformat(event["occurred_at"])
        last[email] = max(at, last.get(email, at))
        if event["type"] == "product_active" or event.get("properties", {}).get("url") == "/pricing":
            signals[email]["intent"] += 1
    rows = []
    for email in sorted(last):
        converted = rng.random() < _probability(email, signals[email]["intent"])
        if not converted and rng.random() < 0.5:
            continue  # the CRM never heard of most leads that went nowhere
        outcome = ("won" if rng.random() < 0.7 else "opportunity") if converted else "lost"
        at = min(last[email] + timedelta(days=rng.randint(1, 10)), now - timedelta(hours=1))
        amount = str(rng.randrange(2_000, 60_000, 500)) if outcome == "won" else ""
        rows.append(
            {
                "email": email,
                "outcome": outcome,
                "occurred_at": at.isoformat(),
                "amount": amount,
                "currency": "USD" if amount else "",
            }
        )
    return rows


def _probability(email: str, intent: int) -> float:
    known = profile(int(email.split("@")[0].removeprefix("lead")))
    logit = -2.2 + 1.4 * (known["industry"] in _STRONG_INDUSTRIES) + 0.9 * (known["company_size"] >= 120)
    logit += -2.5 * (known["title"] in _NOT_BUYERS) + 0.7 * math.log2(1 + intent)
    return 1 / (1 + math.exp(-logit))

"""When an MQL's score fell below the MQL threshold, found by bisection on a minute grid.

Between two facts a lead's score can only fall: positive engagement decays, negative rules and fit
stay. So the first minute below the threshold is unique, and searching any interval that holds it
finds the same minute, however the interval was cut (event time, not computing time).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from scoring.engine import EngagementLedger, score_totals
from scoring.model import ScoringModel
from scoring.types import LeadProfile

_MINUTE = 60.0


def first_moment_below(
    model: ScoringModel, profile: LeadProfile, ledger: EngagementLedger, *, start: datetime, end: datetime
) -> datetime | None:
    """The first moment in [start, end] the lead's score (no new facts) is below the MQL threshold."""
    threshold = model.thresholds.mql

    def below(ts: float) -> bool:
        at = datetime.fromtimestamp(ts, UTC)
        return score_totals(model=model, profile=profile, ledger=ledger, at=at).total < threshold

    if not below(end.timestamp()):
        return None
    low = math.ceil(start.timestamp() / _MINUTE)
    high = math.floor(end.timestamp() / _MINUTE)
    if low > high or not below(high * _MINUTE):
        return end
    while low < high:
        middle = (low + high) // 2
        if below(middle * _MINUTE):
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(low * _MINUTE, UTC)

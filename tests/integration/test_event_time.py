"""Event time is the truth: whatever the batches, their order and the re-sends, a lead ends the same.

Each example ingests one set of events twice, for two leads: once in time order in one batch, once
shuffled, cut into random batches (each appended and scored on its own) with some batches sent
again. Both leads must end with the same stage, score, stage-change history and handoffs.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.runtime import Runtime, build_runtime
from storage.tables import HandoffRow, LeadRow, StageChangeRow
from tests.builders import parsed
from tests.conftest import make_settings

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
KINDS = ["page_view", "email_click", "webinar_attended", "content_download", "demo_request", "unsubscribe"]
PROFILES = [
    None,
    {"title": "VP Sales", "industry": "Software", "company_size": 250, "source": "ads", "campaign": "q3"},
    {"title": "Student"},
    {"title": "Head of Growth", "company_size": 40, "campaign": "q4"},
]
_lead_numbers = itertools.count()

events_strategy = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.floats(min_value=0.01, max_value=300),  # days before NOW
        st.booleans(),  # a pricing page
        st.sampled_from(range(len(PROFILES))),
    ),
    min_size=1,
    max_size=14,
)


def _events(email: str, raw: list[tuple[str, float, bool, int]]) -> list[dict[str, Any]]:
    items = []
    for number, (kind, days, pricing, profile) in enumerate(raw):
        item: dict[str, Any] = {
            "event_id": f"{email}-{number}",
            "email": email,
            "type": kind,
            "occurred_at": (NOW - timedelta(days=days)).isoformat(),
            "properties": {"url": "/pricing"} if pricing else {},
        }
        if PROFILES[profile] is not None:
            item["lead"] = PROFILES[profile]
        items.append(item)
    return items


def _lead(runtime: Runtime, email: str) -> tuple[Any, ...]:
    with runtime.read_uow() as uow:
        lead = uow.session.execute(
            select(LeadRow.id, LeadRow.stage, LeadRow.score, LeadRow.first_source, LeadRow.title).where(
                LeadRow.email == email
            )
        ).one()
        history = uow.session.execute(
            select(
                StageChangeRow.changed_at,
                StageChangeRow.from_stage,
                StageChangeRow.to_stage,
                StageChangeRow.cause,
            )
            .where(StageChangeRow.lead_id == lead.id)
            .order_by(StageChangeRow.changed_at, StageChangeRow.id)
        ).all()
        handoffs = uow.session.execute(
            select(HandoffRow.status, HandoffRow.episode, HandoffRow.score)
            .where(HandoffRow.lead_id == lead.id)
            .order_by(HandoffRow.episode)
        ).all()
    return (lead[1:], [tuple(row) for row in history], [tuple(row) for row in handoffs])


def test_batching_order_and_resending_never_change_a_lead(database_url: str) -> None:
    runtime = build_runtime(make_settings(database_url))

    @settings(max_examples=60)
    @given(events_strategy, st.randoms(use_true_random=False), st.lists(st.booleans(), max_size=6))
    def check(raw: list[tuple[str, float, bool, int]], random: Any, resend: list[bool]) -> None:
        number = next(_lead_numbers)
        whole, pieces = f"whole{number}@acme.io", f"pieces{number}@acme.io"
        runtime.ingest(parsed(*_events(whole, raw)), now=NOW)

        shuffled = _events(pieces, raw)
        random.shuffle(shuffled)
        cuts = sorted(random.sample(range(1, len(shuffled)), k=min(len(shuffled) - 1, random.randint(0, 4))))
        batches = [shuffled[start:end] for start, end in zip([0, *cuts], [*cuts, len(shuffled)], strict=True)]
        for index, batch in enumerate(batches):
            runtime.ingest(parsed(*batch), now=NOW)
            if index < len(resend) and resend[index]:
                runtime.ingest(parsed(*batch), now=NOW)

        assert _lead(runtime, pieces) == _lead(runtime, whole)

    try:
        check()
    finally:
        runtime.close()

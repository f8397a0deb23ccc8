"""The scorer reads a window of the log and scores it a group of leads per transaction.

A pass stopped between two groups (a crash, a lost lease) resumes after the last group it stored:
every lead ends as if the window had been scored in one go, no event folded twice or lost, even
when every lead was re-derived (``handoff rescore``) while the window stood part way.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

import bot.services.scorer as scorer
from bot.runtime import Runtime
from bot.services.rescore import RescorePass, rescore_all
from bot.services.scorer import ScorerPass
from storage.leads import LeadRepository
from storage.tables import HandoffRow, LeadRow, StageChangeRow
from tests.builders import FIT_LEAD, parsed

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)
KINDS = ["page_view", "email_click", "webinar_attended", "content_download", "demo_request", "page_view"]


class Stopped(Exception):
    """The pass stops here, as a crash would."""


def _events(prefix: str, leads: int) -> list[dict[str, Any]]:
    items = []
    for number, kind in itertools.product(range(leads), range(len(KINDS))):
        email = f"{prefix}{number}@acme.io"
        item: dict[str, Any] = {
            "event_id": f"{email}-{kind}",
            "email": email,
            "type": KINDS[(kind + number) % len(KINDS)],
            "occurred_at": (NOW - timedelta(days=40 - 6 * kind, hours=number)).isoformat(),
            "properties": {"url": "/pricing"} if (kind + number) % 3 == 0 else {},
        }
        if kind == 0 and number % 2 == 0:
            item["lead"] = FIT_LEAD
        items.append(item)
    return sorted(items, key=lambda item: item["occurred_at"])


def _lead(runtime: Runtime, email: str) -> tuple[Any, ...]:
    with runtime.read_uow() as uow:
        lead = uow.session.execute(
            select(LeadRow.id, LeadRow.stage, LeadRow.score, LeadRow.ledger).where(LeadRow.email == email)
        ).one()
        change = StageChangeRow
        history = uow.session.execute(
            select(change.changed_at, change.to_stage, change.cause, change.score)
            .where(change.lead_id == lead.id)
            .order_by(change.changed_at, change.id)
        ).all()
        handoffs = uow.session.execute(
            select(HandoffRow.status, HandoffRow.episode, HandoffRow.score)
            .where(HandoffRow.lead_id == lead.id)
            .order_by(HandoffRow.episode)
        ).all()
    return (lead[1:], [tuple(row) for row in history], [tuple(row) for row in handoffs])


def _stop_after(groups: int) -> Any:
    seen = itertools.count(1)

    def on_chunk(done: ScorerPass) -> None:
        if next(seen) >= groups:
            raise Stopped

    return on_chunk


def _rescore(runtime: Runtime) -> None:
    job = RescorePass(
        uow_factory=runtime.uow,
        model=runtime.model,
        policy=runtime.policy,
        holder="rescore",
        lease=timedelta(seconds=60),
    )
    rescore_all(job, now=lambda: NOW, wait_seconds=0)


@pytest.mark.parametrize("meanwhile", ["nothing", "a rescore of every lead"])
def test_a_pass_stopped_between_groups_resumes_where_it_stopped(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, meanwhile: str
) -> None:
    monkeypatch.setattr(scorer, "FIRST_CHUNK", 6)  # groups of a lead or two, then growing
    stopped = runtime.append(parsed(*_events("stopped", 12)), now=NOW)

    with pytest.raises(Stopped):
        runtime.score(now=NOW, on_chunk=_stop_after(2))
    with runtime.read_uow() as uow:
        window, checkpoint = uow.scorer.window(), uow.scorer.checkpoint()
    assert checkpoint == 0
    assert window is not None
    assert window.end == stopped.last_event_id
    assert 0 < window.lead < max(stopped.lead_ids)
    if meanwhile != "nothing":
        _rescore(runtime)

    runtime.drain(until=stopped.last_event_id, now=NOW)
    whole = runtime.append(parsed(*_events("whole", 12)), now=NOW)
    runtime.drain(until=whole.last_event_id, now=NOW)

    with runtime.read_uow() as uow:
        assert uow.scorer.window() is None
        assert uow.scorer.checkpoint() == whole.last_event_id
    for number in range(12):
        assert _lead(runtime, f"stopped{number}@acme.io") == _lead(runtime, f"whole{number}@acme.io")
    assert any(_lead(runtime, f"whole{number}@acme.io")[2] for number in range(12))  # some were carded


def test_a_backlog_is_scored_in_several_groups_and_each_lead_written_once_per_window(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scorer, "FIRST_CHUNK", 6)
    appended = runtime.append(parsed(*_events("lead", 12)), now=NOW)
    groups: list[int] = []
    saved: list[int] = []
    save = LeadRepository.save

    def counting_save(self: Any, leads: Any, *, scored_at: datetime) -> None:
        saved.extend(lead.id for lead in leads)
        save(self, leads, scored_at=scored_at)

    monkeypatch.setattr(LeadRepository, "save", counting_save)
    done = runtime.score(now=NOW, on_chunk=lambda done: groups.append(done.events))

    assert done.caught_up
    assert done.events == len(_events("lead", 12))
    assert len(groups) > 1
    assert sorted(saved) == sorted(appended.lead_ids)

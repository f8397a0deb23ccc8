"""The scorer reads a window of the log and scores it a group of leads per transaction.

A pass stopped between two groups (a crash, a lost lease) resumes after the last group it stored:
every lead ends as if the window had been scored in one go, no event folded twice or lost, even
when every lead was re-derived (``handoff rescore``) while the window stood part way.
"""

from __future__ import annotations

import itertools
import os
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import make_url, select

import bot.services.scorer as scorer
import bot.services.walk_ahead as walk_ahead
from bot.runtime import Runtime
from bot.services.lead_cache import LeadCache
from bot.services.rescore import RescorePass, rescore_all
from bot.services.scorer import ScorerPass
from bot.services.scorer_window import read_window
from storage.leads import LeadRepository, LeadState
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


@pytest.fixture
def walking_ahead(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every window walked by a worker, in blocks of two leads, each window's groups scored once the
    worker is done (it is never waited for otherwise); the walks it handed over."""
    monkeypatch.setattr(walk_ahead, "MIN_EVENTS", 1)
    monkeypatch.setattr(walk_ahead, "BLOCK", 2)
    monkeypatch.setattr(walk_ahead, "cores_needed", lambda url: 2)  # as if PostgreSQL ran elsewhere
    used: list[int] = []
    walked, start = walk_ahead.WalkAhead.walked, walk_ahead.WalkAhead.start

    def started(self: walk_ahead.WalkAhead, *args: Any, **kwargs: Any) -> None:
        start(self, *args, **kwargs)
        self.wait(timeout=60)

    def counting(self: walk_ahead.WalkAhead, lead: LeadState) -> Any:
        found = walked(self, lead)
        if found is not None:
            used.append(lead.id)
        return found

    monkeypatch.setattr(walk_ahead.WalkAhead, "walked", counting)
    monkeypatch.setattr(walk_ahead.WalkAhead, "start", started)
    return used


def test_leads_walked_by_the_worker_end_as_those_walked_here(
    runtime: Runtime, walking_ahead: list[int]
) -> None:
    ahead = runtime.append(parsed(*_events("ahead", 12)), now=NOW)
    runtime.drain(until=ahead.last_event_id, now=NOW, walk_ahead=True)
    assert len(walking_ahead) == 12  # the worker walked them all

    here = runtime.append(parsed(*_events("here", 12)), now=NOW)
    runtime.drain(until=here.last_event_id, now=NOW)

    for number in range(12):
        assert _lead(runtime, f"ahead{number}@acme.io") == _lead(runtime, f"here{number}@acme.io")


_walk_part = walk_ahead._walk_part
_worker_blocks = itertools.count()


def _dies_at_its_second_block(lead_ids: list[int]) -> bytes:
    if next(_worker_blocks) == 1:  # counted in the worker, which walks block after block
        os._exit(1)
    return _walk_part(lead_ids)


def test_a_worker_that_dies_midway_leaves_its_leads_to_be_walked_here(
    runtime: Runtime, walking_ahead: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(walk_ahead, "_walk_part", _dies_at_its_second_block)
    ahead = runtime.append(parsed(*_events("ahead", 12)), now=NOW)
    runtime.drain(until=ahead.last_event_id, now=NOW, walk_ahead=True)
    here = runtime.append(parsed(*_events("here", 12)), now=NOW)
    runtime.drain(until=here.last_event_id, now=NOW)

    assert 0 < len(walking_ahead) <= 2  # its first block only
    for number in range(12):
        assert _lead(runtime, f"ahead{number}@acme.io") == _lead(runtime, f"here{number}@acme.io")


def _slow_walk_part(lead_ids: list[int]) -> bytes:
    time.sleep(2)
    return _walk_part(lead_ids)


def test_a_worker_behind_is_not_waited_for_its_leads_are_walked_here(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(walk_ahead, "MIN_EVENTS", 1)
    monkeypatch.setattr(walk_ahead, "cores_needed", lambda url: 2)
    monkeypatch.setattr(walk_ahead, "_walk_part", _slow_walk_part)
    handed: list[bool] = []
    walked = walk_ahead.WalkAhead.walked

    def counting(self: walk_ahead.WalkAhead, lead: LeadState) -> Any:
        found = walked(self, lead)
        handed.append(found is not None)
        return found

    monkeypatch.setattr(walk_ahead.WalkAhead, "walked", counting)
    ahead = runtime.append(parsed(*_events("ahead", 12)), now=NOW)
    runtime.drain(until=ahead.last_event_id, now=NOW, walk_ahead=True)
    here = runtime.append(parsed(*_events("here", 12)), now=NOW)
    runtime.drain(until=here.last_event_id, now=NOW)

    assert not any(handed)  # the worker was still on its first block: none was waited for …
    for number in range(12):  # … and each lead was walked here alike
        assert _lead(runtime, f"ahead{number}@acme.io") == _lead(runtime, f"here{number}@acme.io")


def test_a_lead_written_elsewhere_after_the_worker_saw_it_is_walked_here(
    runtime: Runtime, walking_ahead: list[int]
) -> None:
    appended = runtime.append(parsed(*_events("lead", 4)), now=NOW)
    cache = LeadCache()
    with runtime.uow() as uow:
        window = read_window(uow, horizon=appended.last_event_id, limit=1000)
        assert window is not None
        ahead = walk_ahead.WalkAhead.planned(uow, window.facts, cache=cache)
    ahead.start(window.facts, model=runtime.model, now=NOW)
    ahead.wait(timeout=60)
    try:
        first, second = list(window.facts)[2:4]  # a block of two, walked by the worker
        with runtime.uow() as uow:  # another process scores the first of them meanwhile
            lead = uow.leads.lock_by_ids([first])[first]
            uow.leads.save([lead], scored_at=NOW)
            uow.commit()
        with runtime.uow() as uow:
            locked = cache.lock(uow, [first, second])
            assert ahead.walked(locked[first]) is None
            assert ahead.walked(locked[second]) is not None
    finally:
        ahead.close()


@pytest.mark.parametrize(
    ("url", "cores"),
    [
        ("sqlite:////data/handoff.db", 2),
        ("postgresql+psycopg://handoff@127.0.0.1:5432/handoff", 3),
        ("postgresql+psycopg://handoff@localhost/handoff", 3),
        ("postgresql+psycopg:///handoff?host=/var/run/postgresql", 3),
        ("postgresql+psycopg://handoff@db.internal:5432/handoff", 2),
    ],
)
def test_walking_ahead_leaves_a_core_to_a_database_server_on_this_machine(url: str, cores: int) -> None:
    assert walk_ahead.cores_needed(make_url(url)) == cores

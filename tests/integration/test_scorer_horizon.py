"""PostgreSQL commits appends out of id order: one held open is scored once it commits, never skipped."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from bot.runtime import Runtime, build_runtime, utcnow
from bot.services.ingest import IngestResult, append_events
from bot.services.ingest_batch import ReadyBatch
from bot.services.scorer import ScorerConfig, score_pending
from storage.uow import UnitOfWork
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


class _HeldCommit(UnitOfWork):
    """A unit of work that has inserted its rows and waits to be let commit."""

    reached = threading.Event()
    release = threading.Event()

    def commit(self) -> None:
        self.reached.set()
        assert self.release.wait(30)
        super().commit()


@pytest.fixture
def postgres_runtime(postgres_url: str) -> Iterator[Runtime]:
    built = build_runtime(make_settings(postgres_url))
    yield built
    built.close()


def _score(runtime: Runtime) -> None:
    config = ScorerConfig(holder=runtime.holder, horizon_wait_seconds=0.2)
    score_pending(
        uow_factory=runtime.uow,
        read_factory=runtime.read_uow,
        model=runtime.model,
        policy=runtime.policy,
        now=utcnow,
        config=config,
    )


def _append_held(runtime: Runtime, outcome: list[IngestResult]) -> threading.Thread:
    _HeldCommit.reached.clear()
    _HeldCommit.release.clear()
    items = parsed(event("held@acme.io", "demo_request", lead=FIT_LEAD))
    events = [ready for _, ready in ReadyBatch.of(items, runtime.event_values).events]

    def run() -> None:
        unit = _HeldCommit(runtime.session_factory)
        outcome.append(append_events(uow=unit, events=events, model=runtime.model, now=utcnow()))

    thread = threading.Thread(target=run)
    thread.start()
    assert _HeldCommit.reached.wait(30)
    return thread


def test_an_append_committed_after_a_later_one_is_scored_once_it_commits(postgres_runtime: Runtime) -> None:
    outcome: list[IngestResult] = []
    held = _append_held(postgres_runtime, outcome)
    try:
        later = postgres_runtime.append(parsed(event("later@acme.io", "page_view")))
        _score(postgres_runtime)  # the held append's id is below the later one's, not yet visible
    finally:
        _HeldCommit.release.set()
        held.join(30)
    _score(postgres_runtime)

    assert outcome[0].last_event_id < later.last_event_id
    with postgres_runtime.read_uow() as uow:
        held_lead = uow.leads.by_email("held@acme.io")
        later_lead = uow.leads.by_email("later@acme.io")
        assert held_lead is not None
        assert later_lead is not None
        assert held_lead.stage == "sql"
        assert later_lead.score > 0
        assert uow.scorer.checkpoint() == later.last_event_id

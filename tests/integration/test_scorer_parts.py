"""A large window is scored by two processes, and a group's leads are folded before its transaction.

Whatever the split, a worker that stops midway (before or after reporting what it committed), or a
decision recorded while a group is being folded, every lead ends as if one process had scored the
window in one go: the same stage, score, history and handoffs, and no card twice.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from psycopg.errors import ConnectionFailure, DeadlockDetected
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import bot.services.scorer as scorer
import bot.services.scorer_groups as scorer_groups
import bot.services.scorer_parts as scorer_parts
from bot.runtime import Runtime
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.leads import lead_report
from bot.services.scorer_parts import PartReport
from scoring import Decision
from storage.outbox import HANDOFF_CARD
from storage.tables import LeadRow, OutboxRow
from tests.builders import FIT_LEAD, parsed
from tests.integration.test_scorer_window import NOW, _events, _lead

LEADS = 12
Report = Callable[[PartReport], None]


@pytest.fixture
def two_processes(monkeypatch: pytest.MonkeyPatch) -> list[PartReport]:
    """Every window of 20 events or more scored in two parts (in small groups); what the worker
    reported. Test workers run threads of their own, which ``handoff ingest`` does not."""
    monkeypatch.setattr(scorer_parts, "PART_EVENTS", 10)
    monkeypatch.setattr(scorer_parts, "_may_fork", lambda: True)
    monkeypatch.setattr(scorer, "FIRST_CHUNK", 6)
    reports: list[PartReport] = []
    merge = scorer_parts.merge

    def recording(done: Any, received: list[PartReport]) -> None:
        reports.extend(received)
        merge(done, received)

    monkeypatch.setattr(scorer_parts, "merge", recording)
    return reports


def _in_one_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    with monkeypatch.context() as patch:
        patch.setattr(scorer, "window_parts", lambda window, workers: None)
        yield


def _score_both_ways(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any]:
    """The same leads' events (prefixed ``parts`` and ``one``), scored in parts, then in one process."""
    parts = runtime.append(parsed(*_events("parts", LEADS)), now=NOW)
    in_parts = runtime.score(now=NOW)
    assert in_parts.caught_up
    assert in_parts.checkpoint == parts.last_event_id
    one = runtime.append(parsed(*_events("one", LEADS)), now=NOW)
    for _ in _in_one_process(monkeypatch):
        in_one = runtime.score(now=NOW)
    assert in_one.checkpoint == one.last_event_id
    return in_parts, in_one


def _assert_same_leads(runtime: Runtime) -> None:
    for number in range(LEADS):
        assert _lead(runtime, f"parts{number}@acme.io") == _lead(runtime, f"one{number}@acme.io")
    assert any(_lead(runtime, f"parts{number}@acme.io")[2] for number in range(LEADS))  # some carded


def _cards(runtime: Runtime) -> int:
    with runtime.read_uow() as uow:
        query = select(func.count()).select_from(OutboxRow).where(OutboxRow.kind == HANDOFF_CARD)
        return int(uow.session.execute(query).scalar_one())


def test_a_window_scored_in_two_processes_ends_as_one_scored_in_one(
    runtime: Runtime, two_processes: list[PartReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    in_parts, in_one = _score_both_ways(runtime, monkeypatch)

    assert two_processes  # the worker scored groups of its own
    assert in_parts.events == in_one.events == len(_events("x", LEADS))
    assert in_parts.recorded == in_one.recorded
    assert len(in_parts.new_cards) == len(in_one.new_cards) > 0
    _assert_same_leads(runtime)
    with runtime.read_uow() as uow:
        assert uow.scorer.window() is None


def _worker_dying(monkeypatch: pytest.MonkeyPatch, *, reported: bool) -> None:
    """The worker ends (as if killed) once it has committed its first group, before or after
    reporting it."""
    score_part = scorer_parts.score_part

    def dying(work: Any, part: Any, cache: Any, size: int, report: Report) -> None:
        def then_die(done: PartReport) -> None:
            if reported:
                report(done)
            os._exit(1)

        score_part(work, part, cache, size, then_die)

    monkeypatch.setattr(scorer_parts, "score_part", dying)


@pytest.mark.parametrize("reported", [True, False], ids=["after reporting", "before reporting"])
def test_a_worker_that_stops_midway_leaves_the_rest_of_its_part_to_this_process(
    runtime: Runtime, two_processes: list[PartReport], monkeypatch: pytest.MonkeyPatch, reported: bool
) -> None:
    _worker_dying(monkeypatch, reported=reported)
    in_parts, in_one = _score_both_ways(runtime, monkeypatch)

    assert len(two_processes) == (1 if reported else 0)
    assert in_parts.caught_up
    _assert_same_leads(runtime)
    assert _cards(runtime) == 2 * len(in_one.new_cards)  # no card queued twice
    if reported:  # what was reported is counted once; an unreported group is replayed, not new
        assert in_parts.recorded == in_one.recorded


def _at(minutes: int, email: str, kind: str, **extra: Any) -> dict[str, Any]:
    at = (NOW + timedelta(minutes=minutes)).isoformat()
    return {"event_id": f"{email}-{minutes}", "email": email, "type": kind, "occurred_at": at} | extra


def _reject(runtime: Runtime, email: str, *, at: Any) -> None:
    report = lead_report(uow=runtime.uow(), email=email, model=runtime.model, now=at)
    assert report is not None
    request = DecisionRequest(handoff_id=report.handoffs[0].id, action=Decision.REJECT, user_id="URITA")
    record_decision(uow=runtime.uow(), request=request, model=runtime.model, policy=runtime.policy, now=at)


def _row(runtime: Runtime, email: str) -> tuple[Any, ...]:
    with runtime.read_uow() as uow:
        columns = (LeadRow.stage, LeadRow.score, LeadRow.ledger, LeadRow.life, LeadRow.as_of)
        return tuple(uow.session.execute(select(*columns).where(LeadRow.email == email)).one())


def test_a_fold_made_before_a_decision_elsewhere_is_not_kept(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    emails = ["meanwhile@acme.io", "before@acme.io"]
    raised = [_at(-120, e, "page_view", lead=FIT_LEAD) for e in emails] + [
        _at(-119, e, "demo_request") for e in emails
    ]
    runtime.append(parsed(*raised), now=NOW)
    runtime.score(now=NOW)
    decided = NOW + timedelta(minutes=1)
    _reject(runtime, "before@acme.io", at=decided)
    fold_ahead = scorer_groups.fold_ahead

    def decided_meanwhile(*args: Any) -> Any:
        ahead = fold_ahead(*args)
        assert len(ahead.stamps) == 2  # both leads were folded before the transaction
        _reject(runtime, "meanwhile@acme.io", at=decided)
        return ahead

    monkeypatch.setattr(scorer_groups, "fold_ahead", decided_meanwhile)
    promoted = FIT_LEAD | {"title": "CEO"}  # a new title: the lead's whole row is written again
    runtime.append(parsed(*[_at(2, e, "page_view", lead=promoted) for e in emails]), now=NOW)
    runtime.score(now=NOW + timedelta(minutes=3))

    assert _row(runtime, "meanwhile@acme.io")[0] == "rejected"
    assert _row(runtime, "meanwhile@acme.io") == _row(runtime, "before@acme.io")
    assert _lead(runtime, "meanwhile@acme.io")[1:] == _lead(runtime, "before@acme.io")[1:]


def test_a_group_ended_by_a_deadlock_is_scored_again(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    group_once = scorer_groups._group_once
    ended: list[int] = []

    def deadlocked_once(*args: Any, **kwargs: Any) -> bool:
        if not ended:
            ended.append(1)
            raise OperationalError("UPDATE scorer_state", {}, DeadlockDetected("deadlock detected"))
        return bool(group_once(*args, **kwargs))

    monkeypatch.setattr(scorer_groups, "_group_once", deadlocked_once)
    appended = runtime.append(parsed(*_events("parts", LEADS)), now=NOW)
    done = runtime.score(now=NOW)

    assert ended
    assert done.caught_up
    assert done.events == len(_events("x", LEADS))
    assert done.checkpoint == appended.last_event_id


def test_other_database_errors_are_not_tried_again(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def broken(*args: Any, **kwargs: Any) -> bool:
        calls.append(1)
        raise OperationalError(
            "UPDATE scorer_state", {}, ConnectionFailure("the server closed the connection")
        )

    monkeypatch.setattr(scorer_groups, "_group_once", broken)
    runtime.append(parsed(*_events("parts", LEADS)), now=NOW)

    with pytest.raises(OperationalError):
        runtime.score(now=NOW)
    assert len(calls) == 1

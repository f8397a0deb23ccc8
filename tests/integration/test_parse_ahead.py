"""A file read ahead by a worker process gives exactly what reading it here gives: the same line
numbers, refusals and events, ready for the same database driver."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from collections.abc import Iterable
from pathlib import Path

import pytest

from bot.services.event_input import parse_json_lines
from bot.services.ingest_batch import ReadyBatch
from bot.services.parse_ahead import ready_batches
from bot.services.schemas import Refusal
from storage.event_log import ReadyEvent, event_values
from tests.builders import FIT_LEAD, event


def mixed_lines() -> list[str]:
    lines = []
    for n in range(40):
        lead = FIT_LEAD if n % 7 == 0 else None
        lines.append(json.dumps(event(f"lead{n % 9}@acme.io", "pricing_page", lead=lead)))
        if n % 5 == 0:
            lines.append("")  # a blank line keeps its number
        if n % 11 == 0:
            lines.append('{"event_id": "broken", ')
        if n % 13 == 0:
            lines.append(json.dumps(event(f"lead{n}@acme.io", properties={"note": "a\u0000b"})))
        if n % 17 == 0:
            lines.append(json.dumps({"event_id": "no-email", "type": "page_view"}))
    lines.append(lines[0])  # a re-sent line is read again (the append skips it)
    return lines


def read(batches: Iterable[ReadyBatch]) -> tuple[list[tuple[int, ReadyEvent]], list[Refusal]]:
    """Every batch's events and refusals, in order."""
    events: list[tuple[int, ReadyEvent]] = []
    refusals: list[Refusal] = []
    for batch in batches:
        events.extend(batch.events)
        refusals.extend(batch.refusals)
    return events, sorted(refusals, key=lambda refusal: refusal.index)


def read_here(path: Path, dialect: str) -> tuple[list[tuple[int, ReadyEvent]], list[Refusal]]:
    with path.open("rb") as source:
        return read([ReadyBatch.of(parse_json_lines(source), event_values(dialect))])


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_file_read_ahead_gives_what_reading_it_here_gives(tmp_path: Path, dialect: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(mixed_lines()) + "\n")

    with path.open("rb") as source:
        batches = ready_batches(source, batch=4, dialect=dialect)
        first = next(batches)
        workers = multiprocessing.active_children()
        events, refusals = read([first, *batches])

    assert (events, refusals) == read_here(path, dialect)
    assert len(events) == 41
    assert {refusal.field for refusal in refusals} == {"(json)", "email", "occurred_at", "properties.note"}
    assert len(first.events) + len(first.refusals) <= 4, "a batch holds at most its size of lines"
    if len(os.sched_getaffinity(0)) > 1:
        assert len(workers) == 1, "a second core: the worker reads ahead"
    assert multiprocessing.active_children() == [], "the worker is gone once the file is read"


def test_a_file_of_less_than_one_batch_is_read_here(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(mixed_lines()[:3]) + "\n")

    with path.open("rb") as source:
        (batch,) = list(ready_batches(source, batch=10, dialect="sqlite"))

    assert [position for position, _ in batch.events] == [1]  # line 2 is blank
    assert [(refusal.index, refusal.field) for refusal in batch.refusals] == [(3, "(json)")]
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing is read ahead")
def test_a_worker_that_dies_midway_loses_no_line_and_repeats_none(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(mixed_lines()) + "\n")

    with path.open("rb") as source:
        batches = ready_batches(source, batch=4, dialect="sqlite")
        done = [next(batches)]
        (worker,) = multiprocessing.active_children()
        os.kill(worker.pid or 0, signal.SIGKILL)
        worker.join(10)
        done.extend(batches)

    assert read(done) == read_here(path, "sqlite")

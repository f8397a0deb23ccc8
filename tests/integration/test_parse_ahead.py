"""A file read ahead by a worker process gives exactly what reading it here gives: the same line
numbers, refusals and events, ready for the same database driver."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path

import pytest

from bot.services.event_input import parse_json_lines
from bot.services.ingest_batch import prepared
from bot.services.parse_ahead import parsed_json_lines
from storage.event_log import event_values
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


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_a_file_read_ahead_gives_what_reading_it_here_gives(tmp_path: Path, dialect: str) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(mixed_lines()) + "\n")
    values = event_values(dialect)
    with path.open("rb") as source:
        here = [prepared(item, values) for item in parse_json_lines(source)]

    with path.open("rb") as source:
        items = parsed_json_lines(source, batch=4, dialect=dialect)
        first = next(items)
        workers = multiprocessing.active_children()
        ahead = [first, *items]

    assert ahead == here
    assert sum(item.ready is not None for item in ahead) == 41
    assert {refusal.field for item in ahead for refusal in item.refusals} >= {"(json)", "email"}
    if len(os.sched_getaffinity(0)) > 1:
        assert len(workers) == 1, "a second core: the worker reads ahead"
    assert multiprocessing.active_children() == [], "the worker is gone once the file is read"


def test_a_file_of_less_than_one_batch_is_read_here(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(mixed_lines()[:3]) + "\n")

    with path.open("rb") as source:
        items = list(parsed_json_lines(source, batch=10, dialect="sqlite"))

    assert [item.position for item in items] == [1, 3]  # line 2 is blank
    assert items[0].ready is not None
    assert [refusal.field for refusal in items[1].refusals] == ["(json)"]
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="one core: nothing is read ahead")
def test_a_worker_that_dies_midway_loses_no_line_and_repeats_none(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(mixed_lines()) + "\n")
    values = event_values("sqlite")
    with path.open("rb") as source:
        here = [prepared(item, values) for item in parse_json_lines(source)]

    with path.open("rb") as source:
        items = parsed_json_lines(source, batch=4, dialect="sqlite")
        read = [next(items)]
        (worker,) = multiprocessing.active_children()
        os.kill(worker.pid or 0, signal.SIGKILL)
        worker.join(10)
        read.extend(items)

    assert read == here

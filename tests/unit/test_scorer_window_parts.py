"""A window is cut in two parts for a forked worker only when that pays: two halves of about as
many events, the first's leads all before the second's."""

from __future__ import annotations

import random
from typing import Any

import pytest

import bot.services.scorer_parts as scorer_parts
from bot.services.scorer_parts import PART_EVENTS, window_parts
from bot.services.scorer_window import Window


def _window(events_per_lead: list[int]) -> Window:
    facts: dict[int, list[Any]] = {10 + 3 * n: [object()] * count for n, count in enumerate(events_per_lead)}
    return Window(end=999, facts=facts, horizon=999)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def may_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scorer_parts, "_may_fork", lambda: True)


def test_a_large_window_is_cut_in_two_halves_of_about_as_many_events() -> None:
    counts = [random.Random(seed).randint(1, 40) for seed in range(2000)]
    window = _window(counts)

    parts = window_parts(window, workers=2)

    assert parts is not None
    first, second = parts
    assert list(first.facts) + list(second.facts) == list(window.facts)
    assert max(first.facts) < min(second.facts)
    events = [sum(map(len, part.facts.values())) for part in parts]
    assert abs(events[0] - events[1]) <= 2 * max(counts)
    assert (first.end, second.end, first.horizon) == (window.end, window.end, window.horizon)


@pytest.mark.parametrize(
    ("counts", "workers"),
    [([1] * (2 * PART_EVENTS - 1), 2), ([1] * (4 * PART_EVENTS), 1)],
    ids=["too few events", "one worker"],
)
def test_a_window_is_not_cut_when_a_second_process_would_not_pay(counts: list[int], workers: int) -> None:
    assert window_parts(_window(counts), workers=workers) is None


def test_a_process_with_another_thread_never_forks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()  # the real check
    monkeypatch.setattr(scorer_parts.threading, "active_count", lambda: 2)

    assert window_parts(_window([1] * (4 * PART_EVENTS)), workers=2) is None

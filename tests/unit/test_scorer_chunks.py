"""The scorer sizes its chunks by their pace: each fits a tenth of the lease, within the cap; a pass
pauses the cyclic garbage collector and always gives it back."""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest

from bot.services.scorer import ScorerConfig, cycles_collected_after

CONFIG = ScorerConfig(holder="test", chunk=100_000, lease=timedelta(seconds=60))


def test_a_fast_chunk_is_followed_by_one_at_most_twice_its_size() -> None:
    assert CONFIG.next_chunk(5000, seconds=0.5) == 10_000


def test_a_chunk_that_took_longer_than_its_budget_is_followed_by_a_smaller_one() -> None:
    assert CONFIG.next_chunk(40_000, seconds=12.0) == 20_000


def test_chunks_stay_within_the_configured_cap() -> None:
    assert CONFIG.next_chunk(80_000, seconds=1.0) == 100_000


def test_even_a_very_slow_chunk_leaves_one_event_for_the_next() -> None:
    assert CONFIG.next_chunk(1, seconds=120.0) == 1


def test_the_garbage_collector_paused_for_a_pass_runs_again_after_it_even_when_it_fails() -> None:
    with cycles_collected_after():
        assert not gc.isenabled()
    assert gc.isenabled()

    with pytest.raises(RuntimeError), cycles_collected_after():
        raise RuntimeError("the database went away")
    assert gc.isenabled()


def test_a_pass_leaves_a_collector_paused_by_someone_else_paused() -> None:
    gc.disable()
    try:
        with cycles_collected_after():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()

"""An event another process appended first is a duplicate, not an error: the batch's COPY clashes,
and the batch is inserted again skipping what is stored."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime, build_runtime
from tests.builders import event, parsed
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_runtime(postgres_url: str) -> Iterator[Runtime]:
    built = build_runtime(make_settings(postgres_url))
    yield built
    built.close()


def test_events_another_process_stored_first_are_counted_as_duplicates(
    postgres_runtime: Runtime, postgres_url: str
) -> None:
    first = [event(f"lead{n}@acme.io", event_id=f"evt-race-{n}") for n in range(5)]
    other = build_runtime(make_settings(postgres_url), migrate=False)
    other.append(parsed(*first[:3]))
    other.close()

    result = postgres_runtime.append(parsed(*first))

    assert (result.accepted, result.duplicates, result.refused) == (2, 3, [])
    with postgres_runtime.read_uow() as uow:
        assert uow.events.count() == 5

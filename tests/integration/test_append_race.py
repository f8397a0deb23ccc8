"""An event appended by another process between the look-up and the COPY is a duplicate, not an error."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime, build_runtime
from storage.event_log import EventRepository
from tests.builders import event, parsed
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres_runtime(postgres_url: str) -> Iterator[Runtime]:
    built = build_runtime(make_settings(postgres_url))
    yield built
    built.close()


def test_events_stored_since_the_look_up_are_counted_as_duplicates(
    postgres_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = [event(f"lead{n}@acme.io", event_id=f"evt-race-{n}") for n in range(5)]
    postgres_runtime.append(parsed(*first[:3]))
    # As if another process committed them after this one looked: the look-up finds none.
    monkeypatch.setattr(EventRepository, "existing_ids", lambda self, ids: set())

    result = postgres_runtime.append(parsed(*first))

    assert (result.accepted, result.duplicates, result.refused) == (2, 3, [])
    with postgres_runtime.read_uow() as uow:
        assert uow.events.count() == 5

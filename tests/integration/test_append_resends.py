"""Re-sends on both databases: whatever mix of new, repeated and already stored ids a batch holds,
each id is stored once, as first sent, and every other copy is counted as a duplicate."""

from __future__ import annotations

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime
from tests.builders import event, parsed

_examples = itertools.count()
# Batches of ids drawn from a few, so that they repeat within a batch and across batches.
BATCHES = st.lists(st.lists(st.integers(0, 7), max_size=12), min_size=1, max_size=4)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=BATCHES)
def test_each_id_is_stored_once_as_first_sent_and_the_rest_are_duplicates(
    runtime: Runtime, batches: list[list[int]]
) -> None:
    prefix = f"resend{next(_examples)}"
    first_sent: dict[str, str] = {}
    with runtime.read_uow() as uow:
        before = uow.events.count()

    for batch_number, numbers in enumerate(batches):
        ids = [f"{prefix}-{number}" for number in numbers]
        events = [
            event(f"lead{number}@acme.io", event_id=event_id, properties={"batch": batch_number})
            for number, event_id in zip(numbers, ids, strict=True)
        ]
        new = {event_id for event_id in ids if event_id not in first_sent}

        result = runtime.append(parsed(*events))

        assert (result.accepted, result.duplicates, result.refused) == (len(new), len(ids) - len(new), [])
        for event_id in ids:
            first_sent.setdefault(event_id, f"{batch_number}")

    with runtime.read_uow() as uow:
        assert uow.events.count() - before == len(first_sent)
        for event_id, batch_number in first_sent.items():
            stored = uow.events.by_event_id(event_id)
            assert stored is not None
            assert f"{stored.properties['batch']}" == batch_number

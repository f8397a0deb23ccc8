"""The safety net under validation: a value the database refuses costs only its own event.

The events here skip validation (``msgspec.structs.replace`` does not validate), as a value that validation
missed would: the batch's transaction fails, and the batch is retried in halves until that event
is found and refused alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from sqlalchemy import func, select

from bot.runtime import Runtime, build_runtime
from bot.services.event_input import Parsed
from storage.tables import EventRow, HandoffRow, OutboxRow, StageChangeRow
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import make_settings


def _count(runtime: Runtime, table: type) -> int:
    with runtime.uow() as uow:
        return int(uow.session.execute(select(func.count()).select_from(table)).scalar_one())


def _unchecked(item: Parsed, **update: Any) -> Parsed:
    """``item`` with ``update`` applied after validation, as if validation had missed it."""
    assert item.event is not None
    return Parsed(item.position, msgspec.structs.replace(item.event, **update))


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels):
        value = {"a": value}
    return value


@pytest.mark.parametrize(
    "bad",
    [{"properties": {"n": 2**64}}, {"properties": _deep(300)}, {"properties": {"s": "\ud800"}}],
    ids=["int-2^64", "300-deep", "lone-surrogate"],
)
def test_an_event_the_database_refuses_is_refused_alone_and_the_rest_stored(
    runtime: Runtime, bad: dict[str, Any]
) -> None:
    batch = parsed(*[event(email=f"lead{n}@acme.io") for n in range(11)])
    batch[4] = _unchecked(batch[4], **bad)

    result = runtime.ingest(batch)

    assert result.accepted == 10
    assert [(refusal.index, refusal.field) for refusal in result.refused] == [(4, "(event)")]
    assert result.refused[0].error.startswith("could not be stored: ")
    assert _count(runtime, EventRow) == 10


def test_a_failed_attempt_leaves_no_stage_change_handoff_or_card_behind(runtime: Runtime) -> None:
    batch = parsed(event(lead=FIT_LEAD), event(type="demo_request"), event(email="bo@acme.io"))
    batch[2] = _unchecked(batch[2], properties={"n": -(2**70)})

    result = runtime.ingest(batch)

    assert (result.accepted, result.stage_changes["sql"]) == (2, 1)
    assert [refusal.index for refusal in result.refused] == [2]
    assert _count(runtime, HandoffRow) == 1
    assert _count(runtime, OutboxRow) == 1
    assert _count(runtime, StageChangeRow) == 1


def test_refusals_of_the_parser_and_of_the_database_come_in_input_order(runtime: Runtime) -> None:
    batch = parsed(event(), event(email="not-an-email"), event(), event())
    batch[0] = _unchecked(batch[0], properties={"n": 2**64})
    batch[3] = _unchecked(batch[3], properties={"n": 2**65})

    result = runtime.ingest(batch)

    assert [(refusal.index, refusal.field) for refusal in result.refused] == [
        (0, "(event)"),
        (1, "email"),
        (3, "(event)"),
    ]
    assert result.accepted == 1


@pytest.fixture
def postgres_runtime(postgres_url: str) -> Iterator[Runtime]:
    built = build_runtime(make_settings(postgres_url))
    yield built
    built.close()


@pytest.mark.postgres
@pytest.mark.parametrize("field", ["name", "company"])
def test_postgresql_refusing_a_nul_byte_costs_only_that_event(postgres_runtime: Runtime, field: str) -> None:
    batch = parsed(event(lead=FIT_LEAD), event(email="bo@acme.io"), event(email="cy@acme.io"))
    batch[1] = _unchecked(batch[1], profile={field: "Bo\x00"})

    result = postgres_runtime.ingest(batch)

    assert result.accepted == 2
    assert [refusal.index for refusal in result.refused] == [1]
    assert "0x00" in result.refused[0].error
    assert _count(postgres_runtime, EventRow) == 2

"""The scorer keeps the leads it wrote in memory, and reads a lead again once another process wrote it.

``serve`` and ``handoff ingest`` can score the same database in turn: here two runtimes on one
database stand for the two processes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.runtime import Runtime, build_runtime
from bot.services.lead_cache import LeadCache
from tests.builders import event, parsed
from tests.conftest import make_settings


@pytest.fixture
def other(database_url: str, runtime: Runtime) -> Iterator[Runtime]:
    """A second process on the same database (``runtime`` has migrated it)."""
    built = build_runtime(make_settings(database_url), migrate=False)
    yield built
    built.close()


def _opens(runtime: Runtime, email: str) -> int:
    with runtime.read_uow() as uow:
        lead = uow.leads.by_email(email)
    assert lead is not None
    return int(lead.ledger["email_open"][0])


def test_a_lead_scored_by_another_process_meanwhile_is_read_again(runtime: Runtime, other: Runtime) -> None:
    runtime.ingest(parsed(event("ana@acme.io", "email_open")))
    other.ingest(parsed(event("ana@acme.io", "email_open")))

    runtime.ingest(parsed(event("ana@acme.io", "email_open"), event("bo@acme.io", "email_open")))

    assert _opens(runtime, "ana@acme.io") == 3
    assert _opens(runtime, "bo@acme.io") == 1


def test_a_lead_rederived_elsewhere_is_read_again(runtime: Runtime, other: Runtime) -> None:
    runtime.ingest(parsed(event("ana@acme.io", "email_open"), event("ana@acme.io", "email_open")))
    with other.uow() as uow:
        uow.leads.mark_all_underived()
        uow.commit()

    runtime.ingest(parsed(event("ana@acme.io", "email_open")))

    assert _opens(runtime, "ana@acme.io") == 3


def test_two_passes_of_one_process_never_share_the_kept_leads() -> None:
    cache = LeadCache()

    with cache.claimed() as first, cache.claimed() as second:
        assert first is cache
        assert second is not cache
    with cache.claimed() as later:
        assert later is cache

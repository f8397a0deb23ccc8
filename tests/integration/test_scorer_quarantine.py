"""A lead whose rows the database refuses never stops the scorer: it is kept aside, said plainly,
retried at every pass, and stored once its data can be."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import update

from bot.entrypoints.checks import run_checks
from bot.runtime import Runtime, build_runtime, utcnow
from bot.services.leads import lead_report
from storage.tables import EventRow
from tests.builders import FIT_LEAD, event, parsed
from tests.conftest import make_settings

pytestmark = pytest.mark.postgres
TOO_LONG = {"industry": "i" * 150}  # the column holds 100: an older version let such events in


@pytest.fixture
def runtime(postgres_url: str) -> Iterator[Runtime]:
    built = build_runtime(make_settings(postgres_url))
    yield built
    built.close()


def set_profile(runtime: Runtime, event_id: str, profile: dict[str, object]) -> None:
    with runtime.uow() as uow:
        uow.session.execute(update(EventRow).where(EventRow.event_id == event_id).values(profile=profile))
        uow.commit()


def test_a_lead_the_database_refuses_is_kept_aside_and_the_rest_scored(
    runtime: Runtime, postgres_url: str
) -> None:
    bad = event("bad@acme.io", "demo_request", lead=FIT_LEAD)
    runtime.append(parsed(bad))
    set_profile(runtime, bad["event_id"], FIT_LEAD | TOO_LONG)
    good = runtime.append(parsed(event("good@acme.io", "demo_request", lead=FIT_LEAD)))

    runtime.drain(until=good.last_event_id, timeout=60)

    assert runtime.checkpoint() == good.last_event_id
    shown = {
        email: lead_report(uow=runtime.read_uow(), email=email, model=runtime.model, now=utcnow())
        for email in ("good@acme.io", "bad@acme.io")
    }
    assert shown["good@acme.io"].lead.stage.value == "sql"  # type: ignore[union-attr]
    aside = shown["bad@acme.io"].kept_aside  # type: ignore[union-attr]
    assert aside is not None
    assert "value too long" in aside.error
    scorer = next(check for check in run_checks(make_settings(postgres_url)) if check.name == "scorer")
    assert not scorer.ok
    assert "1 lead(s) could not be stored" in scorer.detail
    assert "bad@acme.io" in scorer.detail


def test_a_lead_kept_aside_is_stored_once_its_data_can_be(runtime: Runtime) -> None:
    bad = event("bad@acme.io", "demo_request", lead=FIT_LEAD)
    runtime.append(parsed(bad))
    set_profile(runtime, bad["event_id"], FIT_LEAD | TOO_LONG)
    later = runtime.append(parsed(event("bad@acme.io", "page_view", properties={"url": "/pricing"})))
    runtime.drain(until=later.last_event_id, timeout=60)
    with runtime.read_uow() as uow:
        assert uow.quarantine.count() == 1

    set_profile(runtime, bad["event_id"], FIT_LEAD)
    runtime.score()

    report = lead_report(uow=runtime.read_uow(), email="bad@acme.io", model=runtime.model, now=utcnow())
    assert report is not None
    assert report.kept_aside is None
    assert report.lead.stage.value == "sql"
    assert {e.event_id for e in report.recent_events} >= {bad["event_id"]}
    assert json.dumps(report.as_dict()["kept_aside"]) == "null"

"""Times through the bulk append on both databases: read back as the same instant, in UTC."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.runtime import Runtime

ZONES = st.builds(timezone, st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)))
MOMENTS = st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES)
_ids = itertools.count()


@settings(max_examples=50, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(occurred_at=MOMENTS, received_at=MOMENTS)
def test_appended_times_read_back_as_the_same_instant(
    runtime: Runtime, occurred_at: datetime, received_at: datetime
) -> None:
    event_id = f"time-{next(_ids)}"
    with runtime.uow() as uow:
        uow.leads.create_missing(["ana@acme.io"], at=received_at)
        lead_id = uow.leads.ids_for(["ana@acme.io"])["ana@acme.io"]
        values = uow.events.values
        ready = values(event_id, "ana@acme.io", "page_view", occurred_at, {}, None)
        uow.events.append([ready], lead_ids={"ana@acme.io": lead_id}, received_at=values.moment(received_at))
        uow.commit()

    with runtime.read_uow() as uow:
        stored = uow.events.by_event_id(event_id)
        logged = uow.events.of_lead(lead_id, upto=uow.events.last_id())
    assert stored is not None
    assert stored.occurred_at == occurred_at
    assert stored.occurred_at.utcoffset() == timedelta(0)
    assert [event.occurred_at for event in logged if event.event_id == event_id] == [occurred_at]

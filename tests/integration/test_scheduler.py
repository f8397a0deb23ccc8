"""The scheduler of ``handoff serve``: its jobs and when they fire, in the configured time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.entrypoints.jobs import build_scheduler
from bot.runtime import build_runtime
from tests.conftest import make_settings


def test_jobs_fire_at_the_configured_local_times(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = make_settings(
        f"sqlite:///{tmp_path / 'h.db'}", timezone="America/New_York", digest_schedule="tue 08:30"
    )
    runtime = build_runtime(settings)
    scheduler = build_scheduler(runtime, client=None, wake_delivery=lambda: None)  # type: ignore[arg-type]
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("America/New_York"))

    jobs = {job.id: job for job in scheduler.get_jobs()}
    digest_at = jobs["weekly_digest"].trigger.get_next_fire_time(None, monday_noon)
    runtime.close()

    assert set(jobs) == {"weekly_digest", "digest_catch_up", "sla_scan", "time_passes"}
    assert digest_at.isoformat() == "2026-11-24T08:30:00-05:00"
    assert jobs["time_passes"].trigger.interval.total_seconds() == 3600
    assert jobs["sla_scan"].trigger.interval.total_seconds() == 60

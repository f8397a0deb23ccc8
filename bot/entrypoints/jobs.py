"""Scheduled jobs of ``handoff serve`` (APScheduler): weekly digest, SLA scan, daily re-score.

Every job's effect happens once even with several replicas on one PostgreSQL: the digest is claimed
per (week, channel) before posting, SLA follow-ups are claimed with the messages they queue, and
re-scoring locks the leads it moves.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from slack_sdk import WebClient

from bot.runtime import Runtime, utcnow
from bot.services.digest import monday_of
from bot.services.escalation import EscalationHandOver
from bot.services.sla import scan_sla
from bot.services.ticks import pass_time
from bot.slack.digest_post import post_digest

log = logging.getLogger(__name__)
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekly_digest(runtime: Runtime, client: WebClient) -> None:
    """Post the digest that is due unless a replica already has (runs often, so downtime is caught up)."""
    now = utcnow()
    week = due_week(now, runtime.settings.zone, *runtime.settings.digest_day_and_time)
    if post_digest(runtime=runtime, client=client, week_of=week, now=now, claim=True):
        log.info("weekly digest for the week of %s posted", week)


def due_week(now: datetime, zone: ZoneInfo, day: str, hour: int, minute: int) -> date:
    """The Monday of the week reported by the latest scheduled digest time at or before ``now``."""
    local = now.astimezone(zone)
    scheduled = datetime.combine(
        monday_of(local.date()) + timedelta(days=_DAYS.index(day)), time(hour, minute), zone
    )
    if local < scheduled:
        scheduled -= timedelta(days=7)
    return monday_of(scheduled.date()) - timedelta(days=7)


def sla_scan(runtime: Runtime, wake_delivery: Callable[[], None]) -> None:
    """Queue SLA reminders and escalations that are due."""
    scan = scan_sla(
        uow=runtime.uow(),
        now=utcnow(),
        sla_minutes=runtime.settings.sla_minutes,
        hand_over=EscalationHandOver(runtime.policy, runtime.model),
    )
    if scan.reminded or scan.escalated:
        log.info("SLA: %s reminders, %s escalations", len(scan.reminded), len(scan.escalated))
        wake_delivery()


def time_passes(runtime: Runtime, wake_delivery: Callable[[], None]) -> None:
    """Recycle dates, the end of cool-offs and faded MQLs: each move dated at its own moment."""
    moved = sum(
        pass_time(uow_factory=runtime.uow, model=runtime.model, policy=runtime.policy, now=utcnow()).values()
    )
    if moved:
        log.info("time passing: %s stage changes", moved)
    if moved:
        wake_delivery()


def build_scheduler(
    runtime: Runtime, client: WebClient, wake_delivery: Callable[[], None]
) -> BackgroundScheduler:
    """The scheduler with every job; the digest at HANDOFF_DIGEST_SCHEDULE in HANDOFF_TIMEZONE."""
    zone = runtime.settings.zone
    day, hour, minute = runtime.settings.digest_day_and_time
    scheduler = BackgroundScheduler(timezone=zone, job_defaults={"coalesce": True, "max_instances": 1})
    scheduler.add_job(
        weekly_digest,
        CronTrigger(day_of_week=day, hour=hour, minute=minute, timezone=zone),
        args=(runtime, client),
        id="weekly_digest",
        misfire_grace_time=6 * 3600,
    )
    scheduler.add_job(
        weekly_digest, IntervalTrigger(minutes=15), args=(runtime, client), id="digest_catch_up"
    )
    scheduler.add_job(
        sla_scan,
        IntervalTrigger(seconds=runtime.settings.sla_scan_seconds),
        args=(runtime, wake_delivery),
        id="sla_scan",
    )
    scheduler.add_job(
        time_passes,
        IntervalTrigger(minutes=runtime.settings.tick_minutes),
        args=(runtime, wake_delivery),
        id="time_passes",
    )
    return scheduler

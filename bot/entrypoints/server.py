"""Everything ``handoff serve`` runs in one process: the HTTP API, Slack, the scorer and the
delivery worker."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from slack_bolt import App
from slack_sdk import WebClient

from bot.entrypoints.api import create_app
from bot.entrypoints.jobs import build_scheduler
from bot.entrypoints.readiness import SlackReadiness
from bot.entrypoints.scoring_worker import ScoringWorker
from bot.metrics import Metrics
from bot.runtime import Runtime, utcnow
from bot.slack.app import create_bolt_app, make_client, mount
from bot.slack.delivery import DeliveryWorker
from bot.webhooks.sender import WebhookSender

log = logging.getLogger(__name__)


def build_server(
    runtime: Runtime, *, poll_seconds: float | None = None
) -> tuple[FastAPI, DeliveryWorker, App]:
    """The ASGI app with ``/slack/events`` mounted, its delivery worker, and the Bolt app."""
    metrics = Metrics(runtime.uow, now=utcnow)
    client = make_client(runtime, on_call=metrics.record_slack_call)
    worker = DeliveryWorker(runtime=runtime, client=client, poll_seconds=poll_seconds, metrics=metrics)
    hooks = webhook_worker(runtime, client, poll_seconds=poll_seconds, metrics=metrics)
    workers = [worker, *([hooks] if hooks else [])]

    def wake() -> None:
        for each in workers:
            each.wake()

    scorer = ScoringWorker(runtime=runtime, wake_delivery=wake, metrics=metrics)
    bolt_app = create_bolt_app(runtime, client, wake_delivery=wake)
    scheduler = build_scheduler(runtime, client, wake)
    settings = runtime.settings
    readiness = SlackReadiness(
        client,
        channel=settings.sales_channel,
        cache_seconds=settings.ready_slack_cache_seconds,
        wait_seconds=settings.ready_slack_wait_seconds,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with runtime.uow() as uow:
            parked = uow.outbox.retry_parked_now(now=utcnow())
            uow.commit()
        if parked:
            log.info("retrying %s parked Slack messages now", parked)
        for each in workers:
            each.start()
        scorer.start()
        scheduler.start()
        yield
        scheduler.shutdown(wait=False)
        scorer.stop()
        for each in workers:
            each.stop()
        readiness.close()

    app = create_app(
        runtime, slack_check=readiness, lifespan=lifespan, metrics=metrics, wake_scorer=scorer.wake
    )
    mount(
        app,
        bolt_app,
        signing_secret=settings.slack_signing_secret,
        max_body_bytes=settings.slack_max_body_bytes,
        max_age_seconds=settings.slack_request_max_age,
    )
    return app, worker, bolt_app


def webhook_worker(
    runtime: Runtime, client: WebClient, *, poll_seconds: float | None, metrics: Metrics
) -> DeliveryWorker | None:
    """A second delivery worker for the webhooks file's endpoints (None without HANDOFF_WEBHOOKS)."""
    if runtime.webhooks is None:
        return None
    sender = WebhookSender(config=runtime.webhooks, timeout=runtime.settings.webhook_timeout_seconds)
    return DeliveryWorker(
        runtime=runtime, client=client, poll_seconds=poll_seconds, metrics=metrics, sender=sender
    )

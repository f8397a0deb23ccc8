"""Everything ``handoff serve`` runs in one process: the HTTP API, Slack, and the delivery worker."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.entrypoints.api import create_app
from bot.entrypoints.jobs import build_scheduler
from bot.metrics import Metrics
from bot.runtime import Runtime, utcnow
from bot.slack.app import create_bolt_app, make_client, mount
from bot.slack.delivery import DeliveryWorker

log = logging.getLogger(__name__)


def build_server(
    runtime: Runtime, *, poll_seconds: float | None = None
) -> tuple[FastAPI, DeliveryWorker, object]:
    """The ASGI app with ``/slack/events`` mounted, its delivery worker, and the Bolt app."""
    metrics = Metrics(runtime.uow, now=utcnow)
    client = make_client(runtime, on_call=metrics.record_slack_call)
    worker = DeliveryWorker(runtime=runtime, client=client, poll_seconds=poll_seconds, metrics=metrics)
    bolt_app = create_bolt_app(runtime, client, wake_delivery=worker.wake)
    scheduler = build_scheduler(runtime, client, worker.wake)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        with runtime.uow() as uow:
            parked = uow.outbox.retry_parked_now(now=utcnow())
            uow.commit()
        if parked:
            log.info("retrying %s parked Slack messages now", parked)
        worker.start()
        scheduler.start()
        yield
        scheduler.shutdown(wait=False)
        worker.stop()

    app = create_app(runtime, slack_check=SlackCheck(client), lifespan=lifespan, metrics=metrics)
    mount(app, bolt_app, signing_secret=runtime.settings.slack_signing_secret or "")
    return app, worker, bolt_app


class SlackCheck:
    """``auth.test`` for /readyz, remembered for half a minute."""

    def __init__(self, client: WebClient, cache_seconds: float = 30.0) -> None:
        self._client = client
        self._cache_seconds = cache_seconds
        self._checked_at = float("-inf")
        self._problem: str | None = None

    def __call__(self) -> str | None:
        if time.monotonic() - self._checked_at > self._cache_seconds:
            self._problem = self._check()
            self._checked_at = time.monotonic()
        return self._problem

    def _check(self) -> str | None:
        try:
            self._client.auth_test()
        except SlackApiError as exc:
            return f"auth.test answered {exc.response.get('error')}"
        except OSError as exc:
            return f"Slack unreachable: {exc}"
        return None

"""The HTTP API served by ``handoff serve``: ingestion, lead look-up, health and metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from itertools import islice
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from bot.entrypoints.api_auth import read_guard, write_guard
from bot.entrypoints.api_docs import EVENTS_BODY, document_event_schema, document_webhooks
from bot.entrypoints.problems import database_problem
from bot.entrypoints.readiness import SlackState
from bot.metrics import Metrics
from bot.runtime import Runtime, utcnow
from bot.services.account_owners import check_owners, store_owners
from bot.services.event_input import InputFormatError, Parsed, parse_body
from bot.services.ingest import IngestResult
from bot.services.leads import lead_report
from bot.version import handoff_version
from storage.database import ping

MAX_BODY_BYTES = 5 * 1024 * 1024
BATCH_SIZE = 1000

SlackCheck = Callable[[], SlackState]
log = logging.getLogger(__name__)


def create_app(
    runtime: Runtime,
    *,
    slack_check: SlackCheck | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    lifespan: Any = None,
    metrics: Metrics | None = None,
    wake_scorer: Callable[[], None] | None = None,
) -> FastAPI:
    """The FastAPI application; ``slack_check`` says whether the Slack configuration is right.

    With ``wake_scorer`` (``serve``'s background scorer) events are appended and scored moments
    later; without it they are scored before the answer."""
    app = FastAPI(title="Handoff", version=handoff_version(), lifespan=lifespan)
    metrics = metrics or Metrics(runtime.uow, now=utcnow)
    app.state.runtime = runtime
    app.state.metrics = metrics
    document_event_schema(app)
    document_webhooks(app)
    app.add_exception_handler(SQLAlchemyError, _database_failed(runtime.settings.database_url))

    @app.post("/v1/events", dependencies=[Depends(write_guard(runtime.settings))], openapi_extra=EVENTS_BODY)
    async def post_events(
        request: Request,
        wait: Annotated[float, Query(ge=0, le=60, description="seconds to wait for scoring")] = 0,
    ) -> dict[str, Any]:
        """Append a JSON array or NDJSON of events; answers counts and per-event refusals, and with
        ``wait`` the stage changes their scoring made."""
        started = utcnow()
        body = await _read_limited(request, max_body_bytes)
        try:
            items = parse_body(body)
        except InputFormatError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        result = await run_in_threadpool(_append_all, runtime, items)
        metrics.record_ingest(result)
        if wake_scorer is None:
            await run_in_threadpool(runtime.drain, until=result.last_event_id)
            scored = True
        else:
            wake_scorer()
            scored = await _scored_within(runtime, result.last_event_id, wait)
        if scored:
            result.stage_changes = await run_in_threadpool(
                runtime.stage_changes_since, result.lead_ids, started
            )
            result.scored = True
        return result.as_dict()

    @app.get("/v1/leads/{email}", dependencies=[Depends(read_guard(runtime.settings))])
    def get_lead(email: str) -> dict[str, Any]:
        """A lead: profile, live score with its explanation, stage, handoffs and decisions."""
        report = lead_report(uow=runtime.read_uow(), email=email, model=runtime.model, now=utcnow())
        if report is None:
            raise HTTPException(status_code=404, detail=f"no lead found for {email}")
        return report.as_dict()

    @app.post("/v1/accounts", dependencies=[Depends(write_guard(runtime.settings))])
    def post_accounts(owners: list[AccountOwnerIn]) -> dict[str, Any]:
        """Store account owners (email domain → Slack user id), for routes with ``account_owner``;
        refuses the whole list (422) naming each bad item."""
        rows = [(f"item {index}", owner.model_dump()) for index, owner in enumerate(owners)]
        checked = check_owners(rows, model=runtime.model)
        if checked.problems:
            raise HTTPException(status_code=422, detail=checked.problems)
        total = store_owners(uow=runtime.uow(), owners=checked.owners, now=utcnow())
        return {"stored": len(checked.owners), "accounts_with_owner": total}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """Ready when the database answers and the configuration is right (sales channel set, the
        bot in it, not shared outside); Slack's own state is reported but never makes it unready."""
        checks = {"database": _database_problem(runtime)}
        slack = slack_check() if slack_check else None
        if slack is not None:
            checks["configuration"] = slack.configuration
        ready = all(problem is None for problem in checks.values())
        shown = {name: problem or "ok" for name, problem in checks.items()}
        if slack is not None:
            shown["slack"] = slack.slack
        return JSONResponse({"ready": ready, "checks": shown}, status_code=200 if ready else 503)

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        """Prometheus metrics."""
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return app


async def _read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class AccountOwnerIn(BaseModel):
    """One account's owner: its email domain and a Slack user id."""

    domain: str = Field(max_length=255, examples=["acme.io"])
    owner: str = Field(max_length=64, examples=["U0123ABCD"])


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status_code=413, detail=f"body over {limit // 1024} KiB: send events in smaller batches"
    )


def _append_all(runtime: Runtime, items: Iterable[Parsed]) -> IngestResult:
    total = IngestResult()
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH_SIZE)):
        total.add(runtime.append(batch))
    return total


async def _scored_within(runtime: Runtime, event_id: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if await run_in_threadpool(runtime.checkpoint) >= event_id:
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.05)


def _database_problem(runtime: Runtime) -> str | None:
    try:
        ping(runtime.engine)
    except SQLAlchemyError as exc:
        return database_problem(exc, url=runtime.settings.database_url)
    return None


def _database_failed(url: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def answer(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SQLAlchemyError)
        route = getattr(request.scope.get("route"), "path", "?")
        # The route's template, not the request's path: that may hold an email.
        log.error("%s %s: %s", request.method, route, database_problem(exc, url=url), exc_info=exc)
        return JSONResponse({"detail": "the database is unavailable: try again shortly"}, status_code=503)

    return answer

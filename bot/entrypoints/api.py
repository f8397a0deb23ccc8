"""The HTTP API served by ``handoff serve``: ingestion, lead look-up, health and metrics."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from itertools import islice
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from bot.metrics import Metrics
from bot.runtime import Runtime, utcnow
from bot.services.event_input import Parsed, parse_body
from bot.services.ingest import IngestResult
from bot.services.leads import lead_report
from storage.database import ping

MAX_BODY_BYTES = 5 * 1024 * 1024
BATCH_SIZE = 1000

SlackCheck = Callable[[], str | None]


def create_app(
    runtime: Runtime,
    *,
    slack_check: SlackCheck | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
    lifespan: Any = None,
    metrics: Metrics | None = None,
) -> FastAPI:
    """The FastAPI application; ``slack_check`` returns None when Slack answers, else the problem."""
    app = FastAPI(title="Handoff", version="0.1.0", lifespan=lifespan)
    metrics = metrics or Metrics(runtime.uow, now=utcnow)
    app.state.runtime = runtime
    app.state.metrics = metrics
    require_token = _bearer_guard(runtime.settings.api_token)

    @app.post("/v1/events", dependencies=[Depends(require_token)])
    async def post_events(request: Request) -> dict[str, Any]:
        """Ingest a JSON array or NDJSON of events; answers counts and per-event refusals."""
        body = await _read_limited(request, max_body_bytes)
        try:
            items = parse_body(body)
        except ValueError as exc:
            raise HTTPException(status_code=400, detail=str(exc)) from None
        result = await run_in_threadpool(_ingest_all, runtime, items)
        metrics.record_ingest(result)
        return result.as_dict()

    @app.get("/v1/leads/{email}", dependencies=[Depends(require_token)])
    def get_lead(email: str) -> dict[str, Any]:
        """A lead: profile, live score with its explanation, stage, handoffs and decisions."""
        report = lead_report(uow=runtime.uow(), email=email, model=runtime.model, now=utcnow())
        if report is None:
            raise HTTPException(status_code=404, detail=f"no lead found for {email}")
        return report.as_dict()

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """The process is alive."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> JSONResponse:
        """The database answers and Slack is reachable (when a token is configured)."""
        checks = {"database": _problem_of(lambda: ping(runtime.engine))}
        checks["slack"] = slack_check() if slack_check else None
        ready = all(problem is None for problem in checks.values())
        body = {"ready": ready, "checks": {name: problem or "ok" for name, problem in checks.items()}}
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        """Prometheus metrics."""
        return PlainTextResponse(metrics.render(), media_type="text/plain; version=0.0.4")

    return app


def _bearer_guard(expected: str | None) -> Callable[..., None]:
    def require_token(authorization: Annotated[str | None, Header()] = None) -> None:
        if expected is None:
            raise _unauthorized("the ingestion API is off: HANDOFF_API_TOKEN is not set on the server")
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), expected.encode()):
            raise _unauthorized("missing or wrong bearer token")

    return require_token


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status_code=401, detail=detail, headers={"WWW-Authenticate": "Bearer"})


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


def _too_large(limit: int) -> HTTPException:
    return HTTPException(
        status_code=413, detail=f"body over {limit // 1024} KiB: send events in smaller batches"
    )


def _ingest_all(runtime: Runtime, items: Iterable[Parsed]) -> IngestResult:
    total = IngestResult()
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH_SIZE)):
        total.add(runtime.ingest(batch))
    return total


def _problem_of(check: Callable[[], None]) -> str | None:
    try:
        check()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None

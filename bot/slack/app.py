"""The Bolt app, its Web API client, and the ``/slack/events`` route of the FastAPI app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from slack_bolt import App, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from starlette.concurrency import run_in_threadpool

from bot.runtime import Runtime
from bot.slack.client import CallRecorder, CountingWebClient
from bot.slack.listeners import ListenerDeps, register
from bot.slack.membership import SalesMembership


def make_client(runtime: Runtime, *, on_call: CallRecorder | None = None) -> WebClient:
    """A Web API client on ``SLACK_API_URL`` with HANDOFF_SLACK_TIMEOUT_SECONDS; no automatic retries,
    the callers decide; ``on_call(method, outcome)`` hears how every call ended."""
    settings = runtime.settings
    return CountingWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_url,
        timeout=settings.slack_timeout_seconds,
        retry_handlers=[],
        on_call=on_call,
    )


def create_bolt_app(runtime: Runtime, client: WebClient, *, wake_delivery: Callable[[], None]) -> App:
    """A Bolt app with every listener; signatures are verified against SLACK_SIGNING_SECRET."""
    runtime.settings.require("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET")
    app = App(
        client=client, signing_secret=runtime.settings.slack_signing_secret, token_verification_enabled=False
    )
    app.middleware(_ignore_slack_retries)
    membership = SalesMembership(client, runtime.settings.sales_channel)
    register(app, ListenerDeps(runtime=runtime, membership=membership, wake_delivery=wake_delivery))
    return app


def _ignore_slack_retries(request: Any, next: Callable[[], BoltResponse]) -> BoltResponse:
    # Slack resends an event it thinks we missed; the first delivery was already handled.
    if request.headers.get("x-slack-retry-num"):
        return BoltResponse(status=200, body="")
    return next()


def mount(api: FastAPI, bolt_app: App, *, signing_secret: str) -> None:
    """Serve Bolt at ``POST /slack/events``, dispatching in a worker thread, never on the event loop."""
    verifier = SignatureVerifier(signing_secret)

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        try:
            bolt_request = to_bolt_request(request, body)
        except ValueError:
            # Bolt parses the payload before it checks the signature: check it here, so that a
            # forged request is still a 401 and only a signed one learns its payload is malformed.
            signed = verifier.is_valid_request(body, dict(request.headers))
            return PlainTextResponse("malformed Slack payload", 400) if signed else Response(status_code=401)
        bolt_response: BoltResponse = await run_in_threadpool(bolt_app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

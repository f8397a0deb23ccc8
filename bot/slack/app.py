"""The Bolt app, its Web API client, and the ``/slack/events`` route of the FastAPI app."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.starlette.handler import to_starlette_response
from slack_sdk import WebClient
from starlette.concurrency import run_in_threadpool

from bot.runtime import Runtime
from bot.settings import SLACK_MAX_BODY_BYTES, SLACK_REQUEST_MAX_AGE
from bot.slack import gate
from bot.slack.client import CallRecorder, CountingWebClient
from bot.slack.listeners import ListenerDeps, register
from bot.slack.membership import SalesMembership

SOCKET_MODE_ONLY = "this server takes Slack over Socket Mode only: SLACK_SIGNING_SECRET is not set"


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
    """A Bolt app with every listener; over HTTP, mount()'s gate verifies SLACK_SIGNING_SECRET signatures,
    over Socket Mode the socket itself is Slack's."""
    runtime.settings.require("SLACK_BOT_TOKEN")
    app = App(
        client=client,
        signing_secret=runtime.settings.slack_signing_secret or "",
        token_verification_enabled=False,
        request_verification_enabled=False,  # the gate in mount() has verified the signature
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="slack-listener"),
    )
    app.middleware(_ignore_slack_retries)
    membership = SalesMembership(client, runtime.card_channels())
    register(app, ListenerDeps(runtime=runtime, membership=membership, wake_delivery=wake_delivery))
    return app


def _ignore_slack_retries(request: Any, next: Callable[[], BoltResponse]) -> BoltResponse:
    # Slack resends an event it thinks we missed; the first delivery was already handled.
    if request.headers.get("x-slack-retry-num"):
        return BoltResponse(status=200, body="")
    return next()


def mount(
    api: FastAPI,
    bolt_app: App,
    *,
    signing_secret: str | None,
    max_body_bytes: int = SLACK_MAX_BODY_BYTES,
    max_age_seconds: float = SLACK_REQUEST_MAX_AGE,
    clock: Callable[[], float] = time.time,
) -> None:
    """Serve Bolt at ``POST /slack/events`` behind the gate, dispatching in a worker thread.

    ``bolt_app`` must not verify signatures itself (``request_verification_enabled=False``): the
    gate has, and Bolt gets the parsed payload re-encoded, not the signed bytes. Without a signing
    secret (Socket Mode) nothing can be verified, so every request is refused.
    """

    @api.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        if not signing_secret:
            return PlainTextResponse(SOCKET_MODE_ONLY, 401)
        try:
            body = await gate.read_body(request, limit=max_body_bytes)
            gate.verify_signature(
                body, request.headers, secret=signing_secret, max_age=max_age_seconds, now=clock
            )
            payload = gate.bolt_payload(gate.parse_body(body, request.headers.get("content-type", "")))
        except gate.Answer as answer:
            return PlainTextResponse(answer.text, answer.status)
        headers: dict[str, str | Sequence[str]] = {"content-type": "application/json"}
        headers.update(
            (name, value) for name, value in request.headers.items() if name.startswith("x-slack-retry")
        )
        bolt_request = BoltRequest(body=json.dumps(payload), headers=headers)
        bolt_response: BoltResponse = await run_in_threadpool(bolt_app.dispatch, bolt_request)
        return to_starlette_response(bolt_response)

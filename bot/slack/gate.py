"""Checks on ``POST /slack/events`` before Bolt sees anything: size, signature, shape.

A request over the size limit is a 413 before its body is read; one whose signature, or
timestamp, is missing, stale or wrong is a 401 whose body is never parsed nor logged; a signed one
that is not a payload we can act on is a 400 (or a bare 200 for a Slack kind with nothing to do).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from pydantic import ValidationError
from starlette.requests import Request

from bot.slack import ids
from bot.slack.payloads import ButtonClick, EventCallback, LeadCommand, ModalSubmission, UrlVerification

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
MALFORMED = "malformed Slack payload"


class Answer(Exception):
    """An answer given without Bolt: a refusal, or a bare acknowledgement."""

    def __init__(self, status: int, text: str = "") -> None:
        super().__init__(status, text)
        self.status, self.text = status, text


async def read_body(request: Request, *, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise Answer(413, "Slack payload too large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise Answer(413, "Slack payload too large")
    return bytes(body)


def verify_signature(
    body: bytes, headers: Mapping[str, str], *, secret: str, max_age: float, now: Callable[[], float]
) -> None:
    """Raise a 401 unless Slack signed ``body`` (``v0`` HMAC-SHA256) within ``max_age`` seconds."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now() - int(timestamp)) > max_age:
        raise Answer(401)
    digest = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    if not hmac.compare_digest(f"v0={digest.hexdigest()}", signature):
        raise Answer(401)


def parse_body(body: bytes, content_type: str) -> dict[str, Any]:
    """A signed body as a dict: JSON (Events API), ``payload=<json>`` or form fields (commands)."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json") or text.startswith("{"):
            return _object(json.loads(text))
        form = parse_qs(text, keep_blank_values=True, max_num_fields=100)
        if "payload" in form:
            return _object(json.loads(form["payload"][0]))
    except (ValueError, RecursionError):  # undecodable, not JSON, too deep, too many fields
        raise Answer(400, MALFORMED) from None
    if "ssl_check" in form:
        raise Answer(200)
    return {key: values[0] for key, values in form.items()}


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Answer(400, MALFORMED)
    return value


def bolt_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload Bolt dispatches: only what a listener uses, every field of the type it expects."""
    try:
        return _route(payload)
    except ValidationError:
        raise Answer(400, MALFORMED) from None


def _route(payload: dict[str, Any]) -> dict[str, Any]:
    if "command" in payload:
        return LeadCommand.model_validate(payload).to_bolt()
    kind = payload.get("type")
    if kind == "block_actions":
        click = ButtonClick.model_validate(payload)
        if click.action.action_id not in ids.BUTTONS:
            raise Answer(200)  # not one of our buttons: nothing to do
        return click.to_bolt()
    if kind == "view_submission":
        submission = ModalSubmission.model_validate(payload)
        if submission.view.callback_id not in ids.MODALS:
            raise Answer(400, MALFORMED)
        return submission.to_bolt()
    if kind == "event_callback":
        event = payload.get("event")
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise Answer(400, MALFORMED)
        if event["type"] != "app_home_opened":
            raise Answer(200)  # an event we do not act on
        return EventCallback.model_validate(payload).to_bolt()
    if kind == "url_verification":
        return UrlVerification.model_validate(payload).to_bolt()
    raise Answer(400, MALFORMED)

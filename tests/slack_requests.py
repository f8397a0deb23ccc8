"""Requests built the way Slack builds them: form-encoded payloads, signed with the signing secret."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-1-A0HANDOFF-test-app-token"


def signed(
    body: str,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
    content_type: str = "application/x-www-form-urlencoded",
) -> tuple[bytes, dict[str, str]]:
    """The body and the headers Slack would send with it."""
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature,
    }
    return body.encode(), headers


def interactive(payload: dict[str, Any], **kwargs: Any) -> tuple[bytes, dict[str, str]]:
    """An interactivity request (block_actions, view_submission): ``payload=<json>``, form-encoded."""
    return signed(urlencode({"payload": json.dumps(payload)}), **kwargs)


def block_action(
    *, action_id: str, value: str, user: str, channel: str, message_ts: str, text: str = "New SQL"
) -> dict[str, Any]:
    """The payload of a button click on a message."""
    return {
        "type": "block_actions",
        "team": {"id": "T0TEAM", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0HANDOFF",
        "token": "legacy-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
        "trigger_id": f"trigger-{user}-{time.monotonic_ns()}",
        "channel": {"id": channel, "name": "sales"},
        "message": {"type": "message", "ts": message_ts, "text": text, "user": "UBOT"},
        "response_url": "https://hooks.slack.invalid/actions/T0TEAM/1/abc",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "decision",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }


def view_submission(*, view: dict[str, Any], values: dict[str, Any], user: str) -> dict[str, Any]:
    """The payload of a modal submitted with ``values`` (Slack's ``state.values`` shape)."""
    submitted = dict(view) | {"id": "V0MODAL", "state": {"values": values}}
    return {
        "type": "view_submission",
        "team": {"id": "T0TEAM", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": "T0TEAM"},
        "api_app_id": "A0HANDOFF",
        "token": "legacy-verification-token",
        "trigger_id": f"trigger-{user}-{time.monotonic_ns()}",
        "view": submitted,
    }


def slash_command_fields(
    *,
    text: str,
    user: str,
    channel: str = "C0SALES001",
    response_url: str = "https://hooks.slack.invalid/commands/T0TEAM/1/abc",
) -> dict[str, str]:
    """The fields of a ``/lead`` slash command, as Slack sends them (form fields, or a socket payload)."""
    return {
        "token": "legacy-verification-token",
        "team_id": "T0TEAM",
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "sales",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/lead",
        "text": text,
        "api_app_id": "A0HANDOFF",
        "response_url": response_url,
        "trigger_id": f"trigger-{user}-{time.monotonic_ns()}",
    }


def slash_command(**fields: str) -> tuple[bytes, dict[str, str]]:
    """A signed ``/lead`` slash command request; answers after the ack go to ``response_url``."""
    return signed(urlencode(slash_command_fields(**fields)))

"""Whether a channel may receive lead data: it exists, the bot is in it, and nobody outside the
organisation can read it (a Slack Connect channel shows every card to the other company too).

``channel_problem`` answers with what a person must fix, or None when the channel is safe; it
raises :class:`SlackUnreachable` when Slack cannot tell (an outage, a rate limit, a timeout), which
is never a reason to refuse or to report the service unready.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

HINTS = {
    "channel_not_found": "no such channel, or it is private and the bot is not in it: /invite the bot",
    "not_in_channel": "the bot is not a member: /invite the bot to the channel",
    "missing_scope": "the token lacks a scope: reinstall the app from manifest.yml",
    "invalid_auth": "Slack refused SLACK_BOT_TOKEN: copy the bot token again from OAuth & Permissions",
    "token_revoked": "SLACK_BOT_TOKEN was revoked: reinstall the app and copy its new bot token",
    "account_inactive": "the app was uninstalled or its workspace closed: reinstall it",
}
_TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}


TOKEN_REFUSALS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive"}
)


class SlackUnreachable(Exception):
    """Slack did not give an answer (network, 5xx, rate limit): nothing for a person to fix."""


class TokenRefused(Exception):
    """Slack refuses the bot token itself: a person must fix it, but events can still be taken in
    (the outbox keeps the cards), so it says nothing against the service being ready."""


def is_shared_outside(info: Mapping[str, Any]) -> bool:
    """Whether a conversation (``conversations.info``) is or is about to be readable by another
    organisation: Slack Connect, or an invitation to it pending. Sharing between the workspaces
    of one Enterprise Grid organisation stays inside."""
    if info.get("is_ext_shared") or info.get("is_pending_ext_shared"):
        return True
    return bool(info.get("is_shared")) and not info.get("is_org_shared")


@dataclass(frozen=True)
class ChannelVerdict:
    """The channel as Slack names it (``#sales``, or its id), and what is wrong with it if anything."""

    name: str
    problem: str | None


def channel_problem(
    client: WebClient, channel: str | None, *, setting: str = "HANDOFF_SALES_CHANNEL"
) -> str | None:
    """None when lead data may be posted to ``channel``; else one sentence saying what to fix."""
    try:
        return inspect_channel(client, channel, setting=setting).problem
    except TokenRefused as exc:
        return str(exc)


def inspect_channel(client: WebClient, channel: str | None, *, setting: str) -> ChannelVerdict:
    """``channel_problem`` with the channel's name, for a report."""
    if not channel:
        return ChannelVerdict("", f"{setting} is not set: set the id of the channel the bot posts to")
    try:
        info = client.conversations_info(channel=channel)["channel"]
    except SlackApiError as exc:
        return ChannelVerdict(channel, _refusal(exc, channel=channel, setting=setting))
    except OSError as exc:
        raise SlackUnreachable(str(getattr(exc, "reason", None) or exc)) from None
    name = f"#{info.get('name', channel)}"
    return ChannelVerdict(name, _unsafe(info, f"{name} ({setting})"))


def _unsafe(info: Mapping[str, Any], shown: str) -> str | None:
    if info.get("is_archived"):
        return f"{shown} is archived: choose another channel"
    if not info.get("is_member", True):
        return f"{shown}: {HINTS['not_in_channel']}"
    if is_shared_outside(info):
        return (
            f"{shown} is shared with another organisation (Slack Connect), so lead data is never "
            "posted there: choose a channel only your organisation can read"
        )
    return None


def _refusal(exc: SlackApiError, *, channel: str, setting: str) -> str:
    error = str(exc.response.get("error", ""))
    status = exc.response.status_code
    if status >= 500 or status == 429 or error in _TRANSIENT:
        raise SlackUnreachable(f"Slack answered {status} {error}".strip()) from None
    if error in TOKEN_REFUSALS:
        raise TokenRefused(f"Slack answered {error}: {HINTS.get(error, 'check SLACK_BOT_TOKEN')}") from None
    return f"Slack answered {error} for {channel} ({setting}): {HINTS.get(error, 'see the README')}"


class ChannelGuard:
    """``channel_problem`` remembered per channel for ``cache_seconds`` (outages are not remembered),
    for callers that ask before every post, such as the delivery worker."""

    def __init__(
        self, client: WebClient, *, cache_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._client = client
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._verdicts: dict[str, tuple[float, str | None]] = {}
        self._shared: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def problem(self, channel: str, *, setting: str = "HANDOFF_SALES_CHANNEL") -> str | None:
        """What is wrong with ``channel``, or None; raises SlackUnreachable during an outage."""
        with self._lock:
            known = self._verdicts.get(channel)
        if known is not None and self._clock() - known[0] < self._cache_seconds:
            return known[1]
        verdict = channel_problem(self._client, channel, setting=setting)
        with self._lock:
            self._verdicts[channel] = (self._clock(), verdict)
        return verdict

    def shared_outside(self, channel: str) -> bool:
        """Whether ``channel`` is shared with another organisation (Slack Connect); a channel Slack
        will not describe is left to the post to find out. Raises SlackUnreachable during an outage."""
        with self._lock:
            known = self._shared.get(channel)
        if known is not None and self._clock() - known[0] < self._cache_seconds:
            return known[1]
        try:
            shared = is_shared_outside(self._client.conversations_info(channel=channel)["channel"])
        except SlackApiError as exc:
            if exc.response.status_code >= 500 or exc.response.status_code == 429:
                raise SlackUnreachable(f"Slack answered {exc.response.status_code}") from None
            return False
        except OSError as exc:
            raise SlackUnreachable(str(getattr(exc, "reason", None) or exc)) from None
        with self._lock:
            self._shared[channel] = (self._clock(), shared)
        return shared

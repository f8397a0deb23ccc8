"""What an attempt to deliver an outbox entry can end in, and how Slack's answers map onto it.

``Sent``: done. ``Later``: try again; a rate limit or a wait does not spend an attempt, and an
ambiguous outcome (timeout, dropped connection, 5xx) leaves the entry *in doubt*, so that the next
attempt looks for the message in Slack before posting it again. ``Park``: a person must fix
something; the ``Problem`` names it once for everyone (``key``) and says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from http.client import HTTPException

from slack_sdk.errors import SlackApiError

TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "team_disabled"}
)
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "restricted_action"})
MESSAGE_ERRORS = frozenset(
    {"invalid_blocks", "msg_too_long", "no_text", "invalid_metadata_format", "invalid_metadata_schema"}
)


@dataclass(frozen=True)
class Sent:
    """Delivered; ``ts`` of the message when there is one, ``found`` when an earlier attempt had
    delivered it after all."""

    ts: str | None = None
    found: bool = False


@dataclass(frozen=True)
class Problem:
    """Something a person must fix: said once per ``key``; in Slack too unless the token is the problem."""

    key: str
    message: str
    can_tell_slack: bool = True


class Later(Exception):
    """Delivery failed for now; try again (after ``delay`` or Slack's ``retry_after``)."""

    def __init__(
        self,
        reason: str,
        *,
        cause: str,
        in_doubt: bool = False,
        counts: bool = True,
        retry_after: float | None = None,
        delay: timedelta | None = None,
        method: str | None = None,
        channel: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.cause = cause
        self.in_doubt = in_doubt
        self.counts = counts
        self.retry_after = retry_after
        self.delay = delay
        self.method = method
        self.channel = channel


class Park(Exception):
    """Delivery cannot succeed until a person fixes ``problem``."""

    def __init__(self, reason: str, *, problem: Problem) -> None:
        super().__init__(reason)
        self.problem = problem


Outcome = Sent | Later | Park


def from_slack_error(exc: SlackApiError, *, method: str, channel: str | None, entry_id: int) -> Later | Park:
    """Map Slack's refusal of ``method`` to a retry or a park."""
    status = exc.response.status_code
    error = str(exc.response.get("error", "unknown_error"))
    if status == 429 or error == "ratelimited":
        headers = exc.response.headers or {}
        retry_after = _seconds(headers.get("Retry-After", headers.get("retry-after")))
        return Later(
            f"{method}: rate limited for {retry_after:g} s",
            cause="rate_limited",
            counts=False,
            retry_after=retry_after,
            method=method,
            channel=channel,
        )
    if status >= 500:
        return Later(
            f"{method}: Slack answered HTTP {status}", cause="server_error", in_doubt=True, method=method
        )
    problem = _problem(error, channel=channel, entry_id=entry_id)
    if problem is not None:
        return Park(f"{method}: Slack answered {error}", problem=problem)
    return Later(f"{method}: Slack answered {error}", cause="slack_error", method=method)


def from_transport_error(exc: OSError | HTTPException, *, method: str) -> Later:
    """A request whose answer never came: it may or may not have reached Slack."""
    reason = getattr(exc, "reason", exc)
    if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError):
        return Later(f"{method}: no answer in time", cause="timeout", in_doubt=True, method=method)
    if isinstance(exc, ConnectionRefusedError) or isinstance(reason, ConnectionRefusedError):
        return Later(f"{method}: connection refused", cause="connection_refused", method=method)
    detail = f"{type(exc).__name__}: {exc}"
    return Later(f"{method}: {detail}", cause="connection_error", in_doubt=True, method=method)


def _seconds(value: object) -> float:
    try:
        return max(0.0, float(str(value)))
    except ValueError:
        return 1.0


def _problem(error: str, *, channel: str | None, entry_id: int) -> Problem | None:
    if error in TOKEN_ERRORS:
        return Problem(
            f"token:{error}",
            f"Slack refuses the bot token ({error}): the app was uninstalled or its token revoked. "
            "Reinstall the app and set SLACK_BOT_TOKEN to its new token.",
            can_tell_slack=False,
        )
    if error in CHANNEL_ERRORS:
        return Problem(f"channel:{channel}:{error}", _channel_advice(error, channel or "?"))
    if error == "missing_scope":
        return Problem(
            "scope:missing_scope",
            "The Slack app lacks a permission it needs (missing_scope): reinstall it from manifest.yml.",
        )
    if error in MESSAGE_ERRORS:
        return Problem(f"entry:{entry_id}", f"Slack refused outbox entry {entry_id} as malformed ({error}).")
    return None


def _channel_advice(error: str, channel: str) -> str:
    link = f"<#{channel}>"
    return {
        "not_in_channel": f"Handoff is not a member of {link}: invite it there (/invite @Handoff).",
        "is_archived": f"{link} is archived: unarchive it, or point Handoff at another channel.",
        "channel_not_found": f"Handoff cannot see channel {channel}: check the channel id, or invite "
        "the app to the private channel.",
    }.get(error, f"Slack refuses posts to {link} ({error}).")


def no_channel_problem() -> Problem:
    """No channel is configured for the cards."""
    return Problem(
        "config:no_channel", "Handoff has cards to post but no channel: set HANDOFF_SALES_CHANNEL."
    )


def gave_up_problem(*, entry_id: int, kind: str, attempts: int, failure: Later) -> Problem:
    """A passing failure that did not pass (said once per cause, not once per entry)."""
    return Problem(
        f"failing:{failure.cause}",
        f"Slack keeps failing ({failure.cause}): outbox entry {entry_id} ({kind}) failed {attempts} times, "
        f"lastly: {failure}.",
    )

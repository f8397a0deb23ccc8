"""The Web API client: no automatic retries (callers decide), every call counted by method and outcome."""

from __future__ import annotations

import re
from collections.abc import Callable
from http.client import HTTPException
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

CallRecorder = Callable[[str, str], None]
_ERROR_CODE = re.compile(r"^[a-z_]{1,64}$")


class CountingWebClient(WebClient):
    """A ``WebClient`` that tells ``on_call(method, outcome)`` how each call ended: ``ok``, Slack's
    error code, ``http_5xx``, ``timeout`` or ``connection_error``."""

    def __init__(self, *, on_call: CallRecorder | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._on_call = on_call

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        try:
            answer = super().api_call(api_method, **kwargs)
        except SlackApiError as exc:
            self._record(api_method, _error_outcome(exc))
            raise
        except (OSError, HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            timeout = isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError)
            self._record(api_method, "timeout" if timeout else "connection_error")
            raise
        self._record(api_method, "ok")
        return answer

    def _record(self, method: str, outcome: str) -> None:
        if self._on_call is not None:
            self._on_call(method, outcome)


def _error_outcome(exc: SlackApiError) -> str:
    status = exc.response.status_code
    if status >= 500:
        return f"http_{status}"
    error = str(exc.response.get("error", ""))
    return error if _ERROR_CODE.match(error) else "unexpected_response"

"""``handoff serve --socket-mode``: the app-level token tried before anything starts, then the socket."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.entrypoints.cli_runtime import fail
from bot.entrypoints.problems import slack_problem
from bot.settings import Settings
from bot.slack.socket_mode import SocketHandler

_HOW_TO_FIX = "create an app-level token with connections:write on the app's Basic Information page"


def check_app_token(settings: Settings) -> None:
    """End the command in one sentence if Slack refuses SLACK_APP_TOKEN (exit 2) or cannot be reached."""
    client = WebClient(base_url=settings.slack_api_url, timeout=10, retry_handlers=[])
    try:
        client.apps_connections_open(app_token=settings.slack_app_token or "")
    except SlackApiError as exc:
        fail(f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): {_HOW_TO_FIX}")
    except OSError as exc:
        fail(f"{slack_problem(exc)}, and socket mode needs it to start", code=1)


def connect(bolt_app: App, *, app_token: str) -> None:
    """Open the socket Slack sends events over; it reconnects by itself afterwards."""
    handler = SocketHandler(bolt_app, app_token=app_token)
    try:
        handler.connect()  # type: ignore[no-untyped-call]
    except SlackApiError as exc:
        fail(f"Slack refused SLACK_APP_TOKEN ({exc.response.get('error')}): {_HOW_TO_FIX}")
    except OSError as exc:
        fail(f"{slack_problem(exc)}, and socket mode needs it to start", code=1)

"""Events API: the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.services.cards import home_views
from bot.services.rep_home import rep_queue
from bot.slack import blocks
from bot.slack.home import home_view
from bot.slack.listeners.deps import ListenerDeps
from bot.slack.payloads import HomeOpened


def register(app: App, deps: ListenerDeps) -> None:
    """Attach the event listeners."""

    @app.event("app_home_opened")
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        opened = HomeOpened.model_validate(event)
        if (opened.tab or "home") != "home":
            return
        client.views_publish(user_id=opened.user, view=_home(deps, opened.user))


def _home(deps: ListenerDeps, user: str) -> dict[str, Any]:
    now = deps.now()
    if not deps.membership.allows(user):
        refusal = {"type": "mrkdwn", "text": blocks.refusal_not_in_sales_channel()}
        return {"type": "home", "blocks": [{"type": "section", "text": refusal}]}
    runtime = deps.runtime
    waiting, mine = home_views(uow=runtime.read_uow(), user_id=user, model=runtime.model, now=now)
    queue = None
    if runtime.routing is not None:
        queue = rep_queue(
            uow=runtime.read_uow(), user_id=user, routing=runtime.routing, model=runtime.model, now=now
        )
    return home_view(waiting=waiting, mine=mine, now=now, queue=queue)

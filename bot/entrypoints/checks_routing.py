"""``handoff check`` lines for routing and webhooks: the files, each route's channel, and whether
every rep of a route's team (and its fallbacks) can act in that route's channel."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.entrypoints.problems import CheckRefused
from bot.model_source import load_routing, load_webhooks
from bot.settings import Settings
from scoring import ModelError
from scoring.routing import chain


def routing_summary(settings: Settings) -> str:
    """What the routing file holds, or its problems (ModelError)."""
    routing = load_routing(settings.routing)
    assert routing is not None
    channels = sorted({route.channel for route in routing.routes})
    reps = {member.user for team in routing.teams.values() for member in team.members}
    teams = f"{len(routing.teams)} teams, {len(reps)} reps"
    return f"{len(routing.routes)} routes to {len(channels)} channels; {teams}"


def webhooks_summary(settings: Settings) -> str:
    """The webhooks file's endpoints, or its problems (ModelError)."""
    config = load_webhooks(settings.webhooks)
    assert config is not None
    return ", ".join(f"{endpoint.name} ({len(endpoint.events)} event types)" for endpoint in config.endpoints)


def route_channels(settings: Settings) -> dict[str, list[str]]:
    """Each channel routes send cards to, with those routes' names (none when the file is bad)."""
    try:
        routing = load_routing(settings.routing)
    except ModelError:
        return {}  # the routing line has said why
    channels: dict[str, list[str]] = {}
    for route in routing.routes if routing else ():
        channels.setdefault(route.channel, []).append(route.name)
    return channels


def reps_in_their_channels(settings: Settings, client: WebClient) -> str:
    """Every rep a route may assign is a member of that route's channel (else they could not press
    the card's buttons); raises CheckRefused naming who should be invited where."""
    try:
        routing = load_routing(settings.routing)
    except ModelError:
        return "checked once the routing file is valid"
    assert routing is not None
    missing: list[str] = []
    members: dict[str, set[str]] = {}
    for route in routing.routes:
        if route.team is None:
            continue
        if route.channel not in members:
            members[route.channel] = _members(client, route.channel)
        reps = {m.user for name in chain(routing, route.team) for m in routing.teams[name].members}
        outside = sorted(reps - members[route.channel])
        if outside:
            missing.append(f"invite {', '.join(outside)} to {route.channel} (route {route.name})")
    if missing:
        raise CheckRefused("; ".join(missing) + ": a rep outside a card's channel cannot decide it")
    return "every rep is a member of their routes' channels"


def _members(client: WebClient, channel: str) -> set[str]:
    found: set[str] = set()
    for page in client.conversations_members(channel=channel, limit=1000):
        found.update(page.get("members", []))
    return found

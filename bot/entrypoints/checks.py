"""``handoff check``: each part of the set-up tried for real, and what is wrong said plainly."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.entrypoints.checks_routing import (
    reps_in_their_channels,
    route_channels,
    routing_summary,
    webhooks_summary,
)
from bot.entrypoints.problems import CheckRefused, database_problem, slack_problem
from bot.model_source import load_scoring_model
from bot.settings import Settings
from bot.slack.channel_guard import HINTS, SlackUnreachable, TokenRefused, inspect_channel
from scoring import ModelError
from storage.database import make_engine, make_session_factory
from storage.migrate import current_revision, head_revision
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class CheckResult:
    """One check: its name, whether it passed, and what it found."""

    name: str
    ok: bool
    detail: str


def run_checks(settings: Settings) -> Iterator[CheckResult]:
    """Check the scoring model, the database and, when a token is set, Slack and the channels."""
    yield _attempt("scoring model", lambda: _model(settings))
    if settings.routing is not None:
        yield _attempt("routing", lambda: routing_summary(settings))
    if settings.webhooks is not None:
        yield _attempt("webhooks", lambda: webhooks_summary(settings))
    yield _attempt("database", lambda: _database(settings))
    yield _attempt("scorer", lambda: _scorer(settings))
    if not settings.slack_bot_token:
        yield CheckResult("slack", False, "SLACK_BOT_TOKEN is not set: cards cannot be posted")
        return
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    yield _attempt("slack token", lambda: _auth(client))
    yield _attempt("sales channel", lambda: _channel(client, settings.sales_channel, "HANDOFF_SALES_CHANNEL"))
    for channel, routes in route_channels(settings).items():
        if channel != settings.sales_channel:
            named = f"route {', '.join(routes)}"
            yield _attempt(f"channel of {named}", partial(_channel, client, channel, named))
    if settings.routing is not None:
        yield _attempt("reps", lambda: reps_in_their_channels(settings, client))
    if settings.digest_channel:
        digest = settings.digest_channel
        yield _attempt("digest channel", lambda: _channel(client, digest, "HANDOFF_DIGEST_CHANNEL"))


def _attempt(name: str, check: Callable[[], str]) -> CheckResult:
    try:
        return CheckResult(name, True, check())
    except ModelError as exc:
        return CheckResult(name, False, str(exc))
    except SlackApiError as exc:
        error = str(exc.response.get("error", exc))
        return CheckResult(name, False, f"Slack answered {error}: {HINTS.get(error, 'see the README')}")
    except CheckRefused as exc:
        return CheckResult(name, False, str(exc))
    except OSError as exc:
        return CheckResult(name, False, slack_problem(exc))
    except Exception as exc:
        return CheckResult(name, False, f"{type(exc).__name__}: {exc}")


def _model(settings: Settings) -> str:
    model = load_scoring_model(settings.scoring_model)
    return f"{model.name} v{model.version}: {len(model.fit)} fit and {len(model.engagement)} engagement rules"


def _database(settings: Settings) -> str:
    engine = make_engine(settings.database_url)
    try:
        revision, head = current_revision(engine), head_revision()
    except SQLAlchemyError as exc:
        raise CheckRefused(database_problem(exc, url=settings.database_url)) from None
    finally:
        engine.dispose()
    if revision == head:
        state = "up to date"
    else:
        state = f"at {revision or 'no revision'}; `handoff serve` or `handoff db upgrade` brings it to {head}"
    return f"{engine.url.render_as_string(hide_password=True)} reachable, schema {state}"


def _scorer(settings: Settings) -> str:
    engine = make_engine(settings.database_url)
    try:
        if current_revision(engine) != head_revision():
            return "checked once the schema is up to date"
        with UnitOfWork(make_session_factory(engine, read_only=True), read_only=True) as uow:
            behind = uow.events.last_id() - uow.scorer.checkpoint()
            aside = uow.quarantine.lead_ids()
            oldest = uow.quarantine.of_lead(aside[0]) if aside else None
            email = uow.leads.email_of(aside[0]) if aside else None
    except SQLAlchemyError as exc:
        raise CheckRefused(database_problem(exc, url=settings.database_url)) from None
    finally:
        engine.dispose()
    if oldest is not None:
        raise CheckRefused(
            f"{len(aside)} lead(s) could not be stored and are retried at every pass; the oldest, {email},"
            f" since {oldest.since:%Y-%m-%d %H:%M}: {oldest.error} (see `handoff lead {email}`)"
        )
    return f"{behind:,} events waiting to be scored; no lead kept aside"


def _auth(client: WebClient) -> str:
    answer = client.auth_test()
    return f"connected to {answer.get('team')} as {answer.get('user')}"


def _channel(client: WebClient, channel: str | None, setting: str) -> str:
    try:
        verdict = inspect_channel(client, channel, setting=setting)
    except SlackUnreachable as exc:
        raise CheckRefused(f"Slack could not say whether {channel} is usable: {exc}") from None
    except TokenRefused as exc:
        raise CheckRefused(str(exc)) from None
    if verdict.problem:
        raise CheckRefused(verdict.problem)
    return f"{verdict.name} reachable, the bot is a member, shared with no other organisation"

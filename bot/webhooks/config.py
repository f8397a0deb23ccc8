"""The webhooks file (HANDOFF_WEBHOOKS): endpoints, their signing secrets and the events each takes.
A secret is written in the file (``secret``) or, better, named by an environment variable
(``secret_env``); either way it is a Standard Webhooks secret (``whsec_`` + base64)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator
from standardwebhooks.webhooks import Webhook

from scoring.loader import ModelError, parse_yaml

EventType = Literal[
    "lead.stage_changed", "handoff.posted", "handoff.assigned", "handoff.decided", "lead.outcome"
]
EVENT_TYPES: tuple[EventType, ...] = (
    "lead.stage_changed",
    "handoff.posted",
    "handoff.assigned",
    "handoff.decided",
    "lead.outcome",
)


class Endpoint(BaseModel):
    """One receiver: where to POST, how to sign, which events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")  # kept in the outbox's channel column
    url: AnyHttpUrl
    secret: str | None = Field(default=None, repr=False)
    secret_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    events: tuple[EventType, ...] = EVENT_TYPES

    @model_validator(mode="after")
    def _one_secret(self) -> Endpoint:
        if (self.secret is None) == (self.secret_env is None):
            raise ValueError(
                "give the signing secret as either secret or secret_env (an environment variable)"
            )
        if self.secret is not None:
            _check_secret(self.secret)
        return self

    def signing_secret(self, environ: Mapping[str, str]) -> str:
        """The secret itself (read from the environment for ``secret_env``)."""
        return self.secret if self.secret is not None else environ.get(self.secret_env or "", "")


class WebhookConfig(BaseModel):
    """Every endpoint, by unique name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: tuple[Endpoint, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> WebhookConfig:
        names = [endpoint.name for endpoint in self.endpoints]
        if len(set(names)) != len(names):
            raise ValueError("endpoint names must be unique")
        return self

    def taking(self, event_type: str) -> list[Endpoint]:
        """The endpoints that take ``event_type``."""
        return [endpoint for endpoint in self.endpoints if event_type in endpoint.events]

    def endpoint(self, name: str) -> Endpoint | None:
        """The endpoint called ``name``."""
        return next((endpoint for endpoint in self.endpoints if endpoint.name == name), None)


def parse_webhooks(text: str, *, source: str, environ: Mapping[str, str] | None = None) -> WebhookConfig:
    """Parse and check a webhooks file; raises :class:`ModelError` naming each bad field, including a
    ``secret_env`` whose variable is unset or not a secret."""
    config = parse_yaml(text, WebhookConfig, source=source, what="webhooks file", shape="endpoints")
    env = os.environ if environ is None else environ
    problems = []
    for index, endpoint in enumerate(config.endpoints):
        if endpoint.secret_env is None:
            continue
        try:
            _check_secret(env.get(endpoint.secret_env, ""))
        except ValueError as exc:
            problems.append(f"endpoints[{index}].secret_env: {endpoint.secret_env}: {exc}")
    if problems:
        raise ModelError(source, problems, what="webhooks file")
    return config


def _check_secret(secret: str) -> None:
    if not secret:
        raise ValueError("the secret is empty or unset")
    try:
        Webhook(secret)
    except Exception:
        raise ValueError("not a Standard Webhooks secret (whsec_ followed by base64)") from None

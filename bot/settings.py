"""Settings: one typed object read from the environment and a ``.env`` file, checked at start-up."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from storage.database import normalise_url

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")
_SCHEDULE = re.compile(r"^(?P<day>mon|tue|wed|thu|fri|sat|sun)\s+(?P<hour>\d{1,2}):(?P<minute>\d{2})$")
_MENTIONABLE = re.compile(r"^[US][A-Z0-9]{6,}$")
_ADMIN = re.compile(r"^[UWCG][A-Z0-9]{6,}$")
_PLACEHOLDERS = re.compile(r"(your|change.?me|example|placeholder|xxx|\.\.\.|<|>)", re.IGNORECASE)


SLACK_MAX_BODY_BYTES = 1024 * 1024  # Slack's payloads are a few kilobytes
SLACK_REQUEST_MAX_AGE = 5 * 60  # Slack's own advice for a signed request's freshness


class SettingsError(ValueError):
    """Settings that cannot be used, described in plain sentences naming each variable."""


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Everything Handoff reads from its environment (see README, "Settings")."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: str | None = Field(None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: str | None = Field(None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_app_token: str | None = Field(None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str = Field("https://slack.com/api/", validation_alias=_env("SLACK_API_URL"))
    database_url: str = Field("sqlite:///handoff.db", validation_alias=_env("HANDOFF_DATABASE_URL"))
    sales_channel: str | None = Field(None, validation_alias=_env("HANDOFF_SALES_CHANNEL"))
    digest_channel: str | None = Field(None, validation_alias=_env("HANDOFF_DIGEST_CHANNEL"))
    api_token: str | None = Field(None, validation_alias=_env("HANDOFF_API_TOKEN"))
    api_read_token: str | None = Field(None, validation_alias=_env("HANDOFF_API_READ_TOKEN"))
    scoring_model: Path | None = Field(None, validation_alias=_env("HANDOFF_SCORING_MODEL"))
    routing: Path | None = Field(None, validation_alias=_env("HANDOFF_ROUTING"))
    webhooks: Path | None = Field(None, validation_alias=_env("HANDOFF_WEBHOOKS"))
    webhook_timeout_seconds: float = Field(
        10, gt=0, le=120, validation_alias=_env("HANDOFF_WEBHOOK_TIMEOUT_SECONDS")
    )
    sla_minutes: float = Field(60, gt=0, le=7 * 24 * 60, validation_alias=_env("HANDOFF_SLA_MINUTES"))
    post_rate: float = Field(1.0, gt=0, le=50, validation_alias=_env("HANDOFF_POST_RATE"))
    timezone: str = Field("UTC", validation_alias=_env("HANDOFF_TIMEZONE"))
    digest_schedule: str = Field("mon 09:00", validation_alias=_env("HANDOFF_DIGEST_SCHEDULE"))
    escalation_mention: str | None = Field(None, validation_alias=_env("HANDOFF_ESCALATION_MENTION"))
    log_format: Literal["text", "json"] = Field("text", validation_alias=_env("HANDOFF_LOG_FORMAT"))
    host: str = Field("127.0.0.1", min_length=1, validation_alias=_env("HANDOFF_HOST"))
    port: int = Field(8000, ge=1, le=65535, validation_alias=_env("HANDOFF_PORT"))
    ready_slack_cache_seconds: float = Field(
        30.0, ge=0, le=3600, validation_alias=_env("HANDOFF_READY_SLACK_CACHE_SECONDS")
    )
    ready_slack_wait_seconds: float = Field(
        2.0, gt=0, le=60, validation_alias=_env("HANDOFF_READY_SLACK_WAIT_SECONDS")
    )
    slack_max_body_bytes: int = Field(
        SLACK_MAX_BODY_BYTES,
        ge=64 * 1024,
        le=64 * 1024 * 1024,
        validation_alias=_env("HANDOFF_SLACK_MAX_BODY_BYTES"),
    )
    slack_request_max_age: int = Field(
        SLACK_REQUEST_MAX_AGE, ge=30, le=3600, validation_alias=_env("HANDOFF_SLACK_REQUEST_MAX_AGE")
    )
    admin: str | None = Field(None, validation_alias=_env("HANDOFF_ADMIN"))
    delivery_lease_seconds: float = Field(
        60, ge=1, le=3600, validation_alias=_env("HANDOFF_DELIVERY_LEASE_SECONDS")
    )
    slack_timeout_seconds: int = Field(
        10, ge=1, le=300, validation_alias=_env("HANDOFF_SLACK_TIMEOUT_SECONDS")
    )
    delivery_max_attempts: int = Field(
        8, ge=1, le=100, validation_alias=_env("HANDOFF_DELIVERY_MAX_ATTEMPTS")
    )
    delivery_backoff_cap_seconds: float = Field(
        300, ge=1, le=24 * 3600, validation_alias=_env("HANDOFF_DELIVERY_BACKOFF_CAP_SECONDS")
    )
    parked_retry_seconds: float = Field(
        3600, ge=1, le=7 * 24 * 3600, validation_alias=_env("HANDOFF_PARKED_RETRY_SECONDS")
    )
    delivery_poll_seconds: float = Field(
        1, gt=0, le=60, validation_alias=_env("HANDOFF_DELIVERY_POLL_SECONDS")
    )
    doubt_lookback_seconds: float = Field(
        60, ge=0, le=24 * 3600, validation_alias=_env("HANDOFF_DOUBT_LOOKBACK_SECONDS")
    )
    delivery_threads: int = Field(1, ge=1, le=16, validation_alias=_env("HANDOFF_DELIVERY_THREADS"))
    sla_scan_seconds: float = Field(60, ge=1, le=3600, validation_alias=_env("HANDOFF_SLA_SCAN_SECONDS"))
    scorer_chunk: int = Field(200_000, ge=1, le=500_000, validation_alias=_env("HANDOFF_SCORER_CHUNK"))
    scorer_poll_seconds: float = Field(1.0, gt=0, le=60, validation_alias=_env("HANDOFF_SCORER_POLL_SECONDS"))
    scorer_lease_seconds: float = Field(
        60, ge=1, le=3600, validation_alias=_env("HANDOFF_SCORER_LEASE_SECONDS")
    )
    scorer_workers: int = Field(2, ge=1, le=2, validation_alias=_env("HANDOFF_SCORER_WORKERS"))
    clock_file: Path | None = Field(None, validation_alias=_env("HANDOFF_CLOCK_FILE"))
    tick_minutes: float = Field(60, gt=0, le=24 * 60, validation_alias=_env("HANDOFF_TICK_MINUTES"))
    card_show_personal: bool = Field(False, validation_alias=_env("HANDOFF_CARD_SHOW_PERSONAL"))

    @model_validator(mode="after")
    def _lease_outlives_a_request(self) -> Settings:
        if self.delivery_lease_seconds < 2 * self.slack_timeout_seconds:
            raise ValueError(
                "HANDOFF_DELIVERY_LEASE_SECONDS must be at least twice HANDOFF_SLACK_TIMEOUT_SECONDS, "
                "so that no other worker takes an entry over while its request may still reach Slack"
            )
        if self.webhooks is not None and self.delivery_lease_seconds < 2 * self.webhook_timeout_seconds:
            raise ValueError(
                "HANDOFF_DELIVERY_LEASE_SECONDS must be at least twice HANDOFF_WEBHOOK_TIMEOUT_SECONDS, "
                "so that no other worker sends a webhook again while its request may still be answered"
            )
        return self

    @field_validator("admin")
    @classmethod
    def _admin_id(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _ADMIN.match(value):
            raise ValueError(
                f"must be a user id (U0123ABCD, told by direct message) or a channel id (C0123ABCD), "
                f"not {value!r}"
            )
        return value

    @field_validator("clock_file")
    @classmethod
    def _clock_file_holds_an_instant(cls, value: Path | None) -> Path | None:
        if value is None:
            return None
        try:
            moment = datetime.fromisoformat(value.read_text(encoding="utf-8").strip())
        except (OSError, ValueError) as exc:
            raise ValueError(f"must name a file holding an ISO-8601 instant ({exc})") from None
        if moment.tzinfo is None:
            raise ValueError("the instant in the file needs a time zone, e.g. 2026-11-20T10:00:00Z")
        return value

    @field_validator("digest_schedule")
    @classmethod
    def _weekly_schedule(cls, value: str) -> str:
        match = _SCHEDULE.match(value.strip().lower())
        if not match or int(match["hour"]) > 23 or int(match["minute"]) > 59:
            raise ValueError(f"must be a weekday and a time such as 'mon 09:00', not {value!r}")
        return value.strip().lower()

    @field_validator("escalation_mention")
    @classmethod
    def _mentionable(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _MENTIONABLE.match(value):
            raise ValueError(f"must be a user id (U0123ABCD) or a user group id (S0123ABCD), not {value!r}")
        return value

    @property
    def escalation_mention_text(self) -> str | None:
        """The escalation mention as Slack mrkdwn."""
        mention = self.escalation_mention
        if mention is None:
            return None
        return f"<!subteam^{mention}>" if mention.startswith("S") else f"<@{mention}>"

    @property
    def digest_day_and_time(self) -> tuple[str, int, int]:
        """The digest's weekday (mon…sun), hour and minute."""
        match = _SCHEDULE.match(self.digest_schedule)
        assert match is not None
        return match["day"], int(match["hour"]), int(match["minute"])

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, value: str | None) -> str | None:
        return _token(value, "xoxb-", "a bot token starting with xoxb-")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: str | None) -> str | None:
        return _token(value, "xapp-", "an app-level token starting with xapp-")

    @field_validator("slack_signing_secret")
    @classmethod
    def _real_secret(cls, value: str | None) -> str | None:
        return _token(value, "", "a real secret, at least 16 characters", min_length=16)

    @field_validator("api_token", "api_read_token")
    @classmethod
    def _api_tokens(cls, value: str | None) -> str | None:
        tokens = [token.strip() for token in (value or "").split(",") if token.strip()]
        if len(tokens) > 2:
            raise ValueError("takes one token, or two separated by a comma while rotating, not more")
        what = "a real secret, at least 16 characters (two for a rotation: old,new)"
        return ",".join(_token(token, "", what, min_length=16) or "" for token in tokens) or None

    @model_validator(mode="after")
    def _read_tokens_differ(self) -> Settings:
        if set(self.api_tokens) & set(self.api_read_tokens):
            raise ValueError("HANDOFF_API_READ_TOKEN must differ from HANDOFF_API_TOKEN")
        return self

    @property
    def api_tokens(self) -> tuple[str, ...]:
        """Bearer tokens that may send events and read leads (two while one is being rotated)."""
        return tuple(self.api_token.split(",")) if self.api_token else ()

    @property
    def api_read_tokens(self) -> tuple[str, ...]:
        """Bearer tokens that may only read leads."""
        return tuple(self.api_read_token.split(",")) if self.api_read_token else ()

    @field_validator("sales_channel", "digest_channel")
    @classmethod
    def _channel_id(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _CHANNEL_ID.match(value):
            raise ValueError(
                f"must be a channel id like C0123ABCD, not {value!r} "
                "(in Slack: open the channel's details, the id is at the bottom)"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            make_url(normalise_url(value)).get_dialect().import_dbapi()
        except (NoSuchModuleError, ImportError):
            raise ValueError(
                f"names a kind of database Handoff has no driver for ({value.split(':', 1)[0]}); "
                "use sqlite:///path or postgresql://user@host/database"
            ) from None
        except (ArgumentError, ValueError):
            raise ValueError(
                "must be a database URL such as sqlite:///handoff.db or postgresql://user@host/handoff"
            ) from None
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, not {value!r}")
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"must be an IANA time zone such as Europe/Madrid, not {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The time zone for the digest schedule and dates."""
        return ZoneInfo(self.timezone)

    @property
    def digest_channel_or_sales(self) -> str | None:
        """Where the digest goes: its own channel, or the sales channel."""
        return self.digest_channel or self.sales_channel

    def require(self, *names: str) -> None:
        """Raise :class:`SettingsError` naming every variable in ``names`` that is unset."""
        missing = [name for name in names if not getattr(self, _FIELD_OF[name])]
        if missing:
            raise SettingsError("; ".join(f"{name} is not set: {_WHY[name]}" for name in missing))


def _token(value: str | None, prefix: str, what: str, min_length: int = 10) -> str | None:
    if value in (None, ""):
        return None
    assert value is not None
    if not value.startswith(prefix) or len(value) < min_length or _PLACEHOLDERS.search(value):
        raise ValueError(f"must be {what}; the value set looks like a placeholder or the wrong kind")
    return value


_FIELD_OF = {
    "SLACK_BOT_TOKEN": "slack_bot_token",
    "SLACK_SIGNING_SECRET": "slack_signing_secret",
    "SLACK_APP_TOKEN": "slack_app_token",
    "HANDOFF_SALES_CHANNEL": "sales_channel",
    "HANDOFF_API_TOKEN": "api_token",
}
_WHY = {
    "SLACK_BOT_TOKEN": "copy the Bot User OAuth Token (xoxb-...) from the app's OAuth & Permissions page",
    "SLACK_SIGNING_SECRET": "copy the Signing Secret from your Slack app's Basic Information page",
    "SLACK_APP_TOKEN": "socket mode needs an app-level token (xapp-...) with connections:write",
    "HANDOFF_SALES_CHANNEL": "set the id of the channel where handoff cards go (e.g. C0123ABCD)",
    "HANDOFF_API_TOKEN": "set a long random bearer token for the ingestion API",
}


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one sentence per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None


def describe_errors(exc: ValidationError) -> str:
    """One line per bad variable, naming it as the environment spells it."""
    lines = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:  # a rule across variables: its message names them, its input is all of them
            lines.append(message)
            continue
        field_name = str(error["loc"][0])
        given = error.get("input")
        secret = any(word in field_name.lower() for word in ("secret", "token", "database_url"))
        shown = "" if secret or given is None or repr(given) in message else f" (got {given!r})"
        lines.append(f"{_variable_name(field_name)}: {message}{shown}")
    return "settings are not valid:\n" + "\n".join(f"  - {line}" for line in lines)


def _variable_name(field_name: str) -> str:
    field_info = Settings.model_fields.get(field_name.lower())
    alias = field_info.validation_alias if field_info else None
    if isinstance(alias, AliasChoices):
        return str(alias.choices[0])
    return field_name.upper()

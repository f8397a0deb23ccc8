"""Settings: defaults, and a plain sentence naming the variable for every bad value."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, load_settings

REPO = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "HANDOFF_SALES_CHANNEL"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_match_the_documented_ones() -> None:
    settings = load_settings()

    assert settings.database_url == "sqlite:///handoff.db"
    assert settings.sla_minutes == 60
    assert settings.post_rate == 1
    assert settings.timezone == "UTC"
    assert settings.slack_api_url == "https://slack.com/api/"


def test_dotenv_file_in_working_directory_is_read(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".env").write_text("HANDOFF_SALES_CHANNEL=C0123ABCD\nHANDOFF_SLA_MINUTES=30\n")

    settings = load_settings()

    assert (settings.sales_channel, settings.sla_minutes) == ("C0123ABCD", 30)


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("HANDOFF_SLA_MINUTES", "an hour", "valid number"),
        ("HANDOFF_ADMIN", "@rita", "user id (U0123ABCD"),
        ("HANDOFF_PARKED_RETRY_SECONDS", "0", "greater than or equal to 1"),
        ("HANDOFF_SLA_MINUTES", "0", "greater than 0"),
        ("HANDOFF_POST_RATE", "fast", "valid number"),
        ("HANDOFF_SALES_CHANNEL", "#sales", "channel id like C0123ABCD"),
        ("HANDOFF_TIMEZONE", "Mars/Olympus", "IANA time zone"),
        ("SLACK_BOT_TOKEN", "xoxb-your-token-here", "placeholder"),
        ("SLACK_BOT_TOKEN", "xapp-1-A0123-4567", "xoxb-"),
        ("SLACK_APP_TOKEN", "xoxb-123456789012", "xapp-"),
        ("SLACK_SIGNING_SECRET", "short", "real secret"),
        ("SLACK_API_URL", "slack.com/api", "http(s) URL"),
        ("HANDOFF_API_TOKEN", "one-token-0123456789,short", "real secret"),
        ("HANDOFF_API_TOKEN", "a-token-0123456789,b-token-0123456789,c-token-0123456789", "two"),
        ("HANDOFF_API_READ_TOKEN", "short", "real secret"),
        ("HANDOFF_LOG_FORMAT", "xml", "'text' or 'json'"),
        ("HANDOFF_DATABASE_URL", "handoff.db", "database URL such as sqlite:///handoff.db"),
        ("HANDOFF_DATABASE_URL", "mysql://root@db/handoff", "no driver for (mysql)"),
        ("HANDOFF_READY_SLACK_WAIT_SECONDS", "0", "greater than 0"),
        ("HANDOFF_PORT", "70000", "less than or equal to 65535"),
        ("HANDOFF_PORT", "http", "valid integer"),
    ],
)
def test_bad_value_fails_with_sentence_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert variable in str(raised.value)
    assert words in str(raised.value)


def test_secrets_are_never_echoed_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-EXAMPLE-do-not-print")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "do-not-print" not in str(raised.value)


def test_require_names_each_missing_variable_and_how_to_get_it() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]

    with pytest.raises(SettingsError) as raised:
        settings.require("SLACK_BOT_TOKEN", "HANDOFF_SALES_CHANNEL")

    message = str(raised.value)
    assert "SLACK_BOT_TOKEN is not set" in message
    assert "OAuth & Permissions" in message
    assert "HANDOFF_SALES_CHANNEL is not set" in message


def test_api_url_gets_its_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")

    assert load_settings().slack_api_url == "http://127.0.0.1:9999/api/"


def test_two_api_tokens_are_both_accepted_for_a_rotation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_API_TOKEN", "old-token-0123456789, new-token-0123456789")
    monkeypatch.setenv("HANDOFF_API_READ_TOKEN", "reader-token-0123456789")

    settings = load_settings()

    assert settings.api_tokens == ("old-token-0123456789", "new-token-0123456789")
    assert settings.api_read_tokens == ("reader-token-0123456789",)


def test_read_token_equal_to_a_write_token_is_refused_without_echoing_either(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFF_API_TOKEN", "same-token-0123456789")
    monkeypatch.setenv("HANDOFF_API_READ_TOKEN", "same-token-0123456789")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "HANDOFF_API_READ_TOKEN must differ from HANDOFF_API_TOKEN" in str(raised.value)
    assert "same-token" not in str(raised.value)


def test_database_url_password_is_never_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_DATABASE_URL", "postgresql://app:hunter2-secret@db:notaport/handoff")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "HANDOFF_DATABASE_URL" in str(raised.value)
    assert "hunter2" not in str(raised.value)


def test_sla_may_be_a_fraction_of_a_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_SLA_MINUTES", "0.1")

    assert load_settings().sla_minutes == 0.1


def test_a_lease_shorter_than_two_request_timeouts_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_DELIVERY_LEASE_SECONDS", "15")
    monkeypatch.setenv("HANDOFF_SLACK_TIMEOUT_SECONDS", "10")

    with pytest.raises(SettingsError, match="at least twice HANDOFF_SLACK_TIMEOUT_SECONDS"):
        load_settings()


def test_with_webhooks_a_lease_shorter_than_two_webhook_timeouts_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFF_DELIVERY_LEASE_SECONDS", "30")
    monkeypatch.setenv("HANDOFF_WEBHOOK_TIMEOUT_SECONDS", "20")
    assert load_settings().webhook_timeout_seconds == 20  # no webhooks file: nothing to wait for
    monkeypatch.setenv("HANDOFF_WEBHOOKS", "webhooks.yaml")

    with pytest.raises(SettingsError, match="at least twice HANDOFF_WEBHOOK_TIMEOUT_SECONDS"):
        load_settings()


def _documented_defaults(text: str) -> dict[str, str]:
    return dict(re.findall(r"^# ([A-Z][A-Z_]+)=(.*)$", text, flags=re.MULTILINE))


def test_env_example_lists_every_setting_with_its_default() -> None:
    documented = _documented_defaults((REPO / ".env.example").read_text(encoding="utf-8"))

    variables = {field.validation_alias.choices[0]: field.default for field in Settings.model_fields.values()}  # type: ignore[union-attr]
    assert set(documented) == set(variables)
    for variable, default in variables.items():
        written = documented[variable]
        expected = (
            "" if default is None else str(default).lower() if isinstance(default, bool) else str(default)
        )
        assert written == expected or float(written) == default, variable


def test_readme_settings_table_names_every_setting() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([A-Z][A-Z_]+)` \|", readme, flags=re.MULTILINE))

    assert {field.validation_alias.choices[0] for field in Settings.model_fields.values()} <= listed  # type: ignore[union-attr]

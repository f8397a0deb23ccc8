"""Shared fixtures: a database per test (SQLite file, or a PostgreSQL schema of its own)."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings

PG_CONNINFO = os.environ.get("HANDOFF_TEST_PG", "host=127.0.0.1 port=5432 user=postgres dbname=test")
SALES_CHANNEL = "C0SALES001"
API_TOKEN = "test-api-token-0123456789"

# Derandomized by default (CI runs the README's test command); HYPOTHESIS_PROFILE=explore to search.
hypothesis_settings.register_profile(
    "ci", derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
hypothesis_settings.register_profile(
    "explore", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config: pytest.Config) -> None:
    """A run started in the background inherits Ctrl-C ignored, as would every ``handoff`` process a
    test interrupts: give this process (and so them) Python's own Ctrl-C back."""
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked slow first: spread over the workers from the start, none is left running alone
    at the end (the others keep their order)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def _postgres_problem() -> str | None:
    try:
        with psycopg.connect(PG_CONNINFO, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip() or type(exc).__name__


@pytest.fixture(scope="session")
def postgres_available() -> None:
    """Skip PostgreSQL tests when the server is unreachable, unless HANDOFF_REQUIRE_POSTGRES=1."""
    problem = _postgres_problem()
    if problem is None:
        return
    if os.environ.get("HANDOFF_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"PostgreSQL is required (HANDOFF_REQUIRE_POSTGRES=1) but unreachable: {problem}")
    pytest.skip(f"PostgreSQL unreachable: {problem}")


@pytest.fixture(scope="session")
def postgres_database(postgres_available: None) -> Iterator[str]:
    """A database of this test process's own, for its tests' schemas: advisory locks (migrations,
    the scorer's horizon) are per database, and tests running at once in other processes
    (pytest-xdist workers, another run) must not wait on each other's."""
    name = f"handoff_run_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(PG_CONNINFO, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@contextmanager
def postgres_schema(database: str, prefix: str = "handoff_test") -> Iterator[str]:
    """A URL whose connections live in a fresh schema of ``database``, dropped afterwards."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_CONNINFO, dbname=database, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    params = dict(part.split("=", 1) for part in PG_CONNINFO.split())
    try:
        yield (
            f"postgresql+psycopg://{params['user']}@{params['host']}:{params['port']}/{database}"
            f"?options=-csearch_path%3D{schema}"
        )
    finally:
        with psycopg.connect(PG_CONNINFO, dbname=database, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def postgres_url(postgres_database: str) -> Iterator[str]:
    """A URL whose connections live in a fresh schema, dropped after the test."""
    with postgres_schema(postgres_database) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'handoff.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def make_settings(database_url: str, **overrides: object) -> Settings:
    """Settings for tests: never read the developer's .env file or environment secrets."""
    values: dict[str, object] = {
        "database_url": database_url,
        "sales_channel": SALES_CHANNEL,
        "api_token": API_TOKEN,
        "sla_minutes": 60,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
def runtime(database_url: str) -> Iterator[Runtime]:
    """A migrated database with the built-in scoring model."""
    built = build_runtime(make_settings(database_url))
    yield built
    built.close()

"""Start-up wiring: settings, the one engine and session factory, and the scoring model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.model_source import load_scoring_model
from bot.services.event_input import Parsed
from bot.services.ingest import HandoffPolicy, IngestResult
from bot.services.ingest_batch import ingest_batch
from bot.settings import Settings
from scoring import ScoringModel
from storage.database import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.uow import UnitOfWork


@dataclass
class Runtime:
    """What every entry point needs, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    model: ScoringModel

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (one per request or job)."""
        return UnitOfWork(self.session_factory)

    def read_uow(self) -> UnitOfWork:
        """A fresh read-only unit of work: on SQLite it never waits for a writer."""
        return UnitOfWork(self.read_session_factory, read_only=True)

    @property
    def policy(self) -> HandoffPolicy:
        """Where cards go and the SLA, from settings."""
        return HandoffPolicy(sales_channel=self.settings.sales_channel, sla_minutes=self.settings.sla_minutes)

    def ingest(self, batch: list[Parsed]) -> IngestResult:
        """Ingest the valid events of a parsed batch; refusals keep their positions, and an event
        the database will not store is refused alone (the others are stored all the same)."""
        return ingest_batch(
            unit_of_work=self.uow, batch=batch, model=self.model, policy=self.policy, now=utcnow()
        )

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Load the model (failing fast if it is bad), connect, and apply migrations."""
    model = load_scoring_model(settings.scoring_model)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        read_session_factory=make_session_factory(engine, read_only=True),
        model=model,
    )


def utcnow() -> datetime:
    """The current time, timezone-aware."""
    return datetime.now(UTC)

"""Start-up wiring: settings, the one engine and session factory, and the scoring model."""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot import clock
from bot.model_source import load_routing, load_scoring_model, load_webhooks
from bot.services.event_input import Parsed
from bot.services.ingest import IngestResult, LeadIds
from bot.services.ingest_batch import ReadyBatch, ingest_batch
from bot.services.lead_cache import LeadCache
from bot.services.policy import HandoffPolicy
from bot.services.scorer import ScorerConfig, ScorerPass, score_pending
from bot.settings import Settings
from bot.webhooks.config import WebhookConfig
from scoring import ScoringModel
from scoring.routing import Routing
from storage.database import make_engine, make_session_factory
from storage.event_log import EventValues, event_values
from storage.migrate import upgrade
from storage.signals import HAND_RAISE_BELOW_FIT
from storage.uow import UnitOfWork


@dataclass
class Runtime:
    """What every entry point needs, built once per process."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    read_session_factory: sessionmaker[Session]
    model: ScoringModel
    routing: Routing | None = None
    webhooks: WebhookConfig | None = None
    holder: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    lead_ids: LeadIds = field(default_factory=LeadIds)
    lead_cache: LeadCache = field(default_factory=LeadCache)

    def card_channels(self) -> list[str]:
        """Every channel a card may go to: the sales channel, and each route's."""
        routed = [route.channel for route in self.routing.routes] if self.routing else []
        return [channel for channel in (self.settings.sales_channel, *routed) if channel]

    @property
    def event_values(self) -> EventValues:
        """How this database's driver takes an event's values."""
        return event_values(self.engine.dialect.name)

    def uow(self) -> UnitOfWork:
        """A fresh unit of work (one per request or job)."""
        return UnitOfWork(self.session_factory)

    def read_uow(self) -> UnitOfWork:
        """A fresh read-only unit of work: on SQLite it never waits for a writer."""
        return UnitOfWork(self.read_session_factory, read_only=True)

    @property
    def policy(self) -> HandoffPolicy:
        """Where cards go and the SLA, from settings."""
        settings = self.settings
        return HandoffPolicy(
            sales_channel=settings.sales_channel,
            sla_minutes=settings.sla_minutes,
            routing=self.routing,
            webhooks=self.webhooks,
        )

    @property
    def scorer_config(self) -> ScorerConfig:
        """This process's name as a scorer, and the scorer's settings."""
        settings = self.settings
        return ScorerConfig(
            holder=self.holder,
            chunk=settings.scorer_chunk,
            lease=timedelta(seconds=settings.scorer_lease_seconds),
            workers=settings.scorer_workers,
        )

    def append(self, batch: Sequence[Parsed], *, now: datetime | None = None) -> IngestResult:
        """Append the valid events of a parsed batch to the event log; refusals keep their positions,
        and an event the database will not store is refused alone (the others are stored)."""
        return self.append_ready(ReadyBatch.of(batch, self.event_values), now=now)

    def append_ready(self, batch: ReadyBatch, *, now: datetime | None = None) -> IngestResult:
        """``append`` for a batch already made ready for this database's driver."""
        return ingest_batch(
            unit_of_work=self.uow, batch=batch, model=self.model, now=now or utcnow(), lead_ids=self.lead_ids
        )

    def score(
        self, *, now: datetime | None = None, on_chunk: Callable[[ScorerPass], None] | None = None
    ) -> ScorerPass:
        """One scorer pass over what is appended, if no other process is scoring (``now``: a fixed
        clock, for tests and demos)."""
        return score_pending(
            uow_factory=self.uow,
            read_factory=self.read_uow,
            model=self.model,
            policy=self.policy,
            now=(lambda: now) if now is not None else utcnow,
            config=self.scorer_config,
            on_chunk=on_chunk,
            cache=self.lead_cache,
        )

    def drain(
        self,
        *,
        until: int,
        timeout: float = 600.0,
        now: datetime | None = None,
        on_chunk: Callable[[ScorerPass], None] | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> None:
        """Score until the checkpoint reaches event ``until`` (this process scoring, or another);
        ``on_wait`` is called while waiting for another process."""
        deadline = time.monotonic() + timeout
        while self.checkpoint() < until:
            if not self.score(now=now, on_chunk=on_chunk).caught_up and time.monotonic() > deadline:
                raise TimeoutError(f"the scorer did not reach event {until} in {timeout:g} s")
            if self.checkpoint() < until:
                if on_wait is not None:
                    on_wait()
                time.sleep(0.05)  # another process holds the scorer's lease: it is scoring

    def checkpoint(self) -> int:
        """The last event id the scorer has folded."""
        with self.read_uow() as uow:
            return uow.scorer.checkpoint()

    def ingest(self, batch: list[Parsed], *, now: datetime | None = None) -> IngestResult:
        """Append a batch and score it at once (tests, the demo): the result has its stage changes."""
        started = now or utcnow()  # stage changes are recorded at the scorer's "now"
        result = self.append(batch, now=now)
        self.drain(until=result.last_event_id, now=now)
        result.stage_changes = self.stage_changes_since(result.lead_ids, started)
        result.scored = True
        return result

    def stage_changes_since(self, lead_ids: set[int], since: datetime) -> Counter[str]:
        """Stage changes recorded for these leads since ``since``, by stage reached."""
        with self.read_uow() as uow:
            return uow.handoffs.recorded_since(sorted(lead_ids), since=since)

    def below_fit_since(self, lead_ids: set[int], since: datetime) -> int:
        """Hand-raises below the fit floor (counted, not carded) recorded for these leads since ``since``."""
        with self.read_uow() as uow:
            return uow.signals.count_recorded_since(sorted(lead_ids), kind=HAND_RAISE_BELOW_FIT, since=since)

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def build_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Load the model (failing fast if it is bad), connect, and apply migrations."""
    model = load_scoring_model(settings.scoring_model)
    routing = load_routing(settings.routing)
    webhooks = load_webhooks(settings.webhooks)
    if settings.clock_file is not None:
        clock.read_from(settings.clock_file)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return Runtime(
        settings=settings,
        engine=engine,
        session_factory=make_session_factory(engine),
        read_session_factory=make_session_factory(engine, read_only=True),
        model=model,
        routing=routing,
        webhooks=webhooks,
    )


utcnow = clock.utcnow

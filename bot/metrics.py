"""Prometheus metrics: counters bumped by the entry points and the delivery worker, gauges read from
the database, and the process's own (CPU, memory, file descriptors, Python version)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.services.ingest import IngestResult
from storage.uow import UnitOfWork

OUTBOX_STATES = ("pending", "in_flight", "parked", "sent")


class Metrics:
    """One registry per app, so several apps (tests, replicas in one process) never collide."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, now: Callable[[], datetime]) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "handoff_events", "Events received, by outcome", ["outcome"], registry=self.registry
        )
        self.stage_changes = Counter(
            "handoff_stage_changes", "Stage changes made by scoring", ["stage"], registry=self.registry
        )
        self.slack_calls = Counter(
            "handoff_slack_api_calls",
            "Slack Web API calls, by method and outcome (ok, Slack's error code, http_5xx, timeout…)",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.delivery_retries = Counter(
            "handoff_delivery_retries",
            "Delivery attempts to be tried again, by cause (rate_limited, server_error, timeout…)",
            ["cause"],
            registry=self.registry,
        )
        self.parked = Counter(
            "handoff_outbox_parked",
            "Outbox entries parked (needing a person), by kind",
            ["kind"],
            registry=self.registry,
        )
        self.registry.register(_DatabaseGauges(uow_factory, now))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def record_ingest(self, result: IngestResult) -> None:
        """Count a batch's outcome."""
        self.events.labels("accepted").inc(result.accepted)
        self.events.labels("duplicate").inc(result.duplicates)
        self.events.labels("refused").inc(len({refusal.index for refusal in result.refused}))

    def record_stage_changes(self, recorded: Mapping[str, int]) -> None:
        """Count the stage changes a scorer pass recorded."""
        for stage, count in recorded.items():
            self.stage_changes.labels(stage).inc(count)

    def record_slack_call(self, method: str, outcome: str) -> None:
        """One Web API call and how it ended."""
        self.slack_calls.labels(method, outcome).inc()

    def record_retry(self, cause: str) -> None:
        """A delivery attempt that will be tried again."""
        self.delivery_retries.labels(cause).inc()

    def record_park(self, kind: str) -> None:
        """An outbox entry parked."""
        self.parked.labels(kind).inc()

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


class _DatabaseGauges(Collector):
    def __init__(self, uow_factory: Callable[[], UnitOfWork], now: Callable[[], datetime]) -> None:
        self._uow_factory = uow_factory
        self._now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self._now()
        with self._uow_factory() as uow:
            outbox = uow.outbox.stats(now=now)
            stages = uow.leads.count_by_stage()
        entries = GaugeMetricFamily("handoff_outbox_entries", "Outbox entries by state", labels=["status"])
        for state in OUTBOX_STATES:
            entries.add_metric([state], outbox.by_state.get(state, 0))
        yield entries
        oldest = outbox.oldest_pending_at
        yield GaugeMetricFamily(
            "handoff_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending outbox entry (0 when none is pending)",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )
        leads = GaugeMetricFamily("handoff_leads", "Leads by stage", labels=["stage"])
        for stage, count in sorted(stages.items()):
            leads.add_metric([stage], count)
        yield leads

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())

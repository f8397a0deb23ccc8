"""Prometheus metrics: counters bumped by the entry points, gauges read from the database."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from bot.services.ingest import IngestResult
from storage.uow import UnitOfWork


class Metrics:
    """One registry per app, so several apps (tests, replicas in one process) never collide."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self.registry = CollectorRegistry()
        self.events = Counter(
            "handoff_events", "Events received, by outcome", ["outcome"], registry=self.registry
        )
        self.stage_changes = Counter(
            "handoff_stage_changes", "Stage changes made by scoring", ["stage"], registry=self.registry
        )
        self.registry.register(_DatabaseGauges(uow_factory))

    def record_ingest(self, result: IngestResult) -> None:
        """Count a batch's outcome."""
        self.events.labels("accepted").inc(result.accepted)
        self.events.labels("duplicate").inc(result.duplicates)
        self.events.labels("refused").inc(len({refusal.index for refusal in result.refused}))
        for stage, count in result.stage_changes.items():
            self.stage_changes.labels(stage).inc(count)

    def render(self) -> bytes:
        """The text exposition format."""
        return generate_latest(self.registry)


class _DatabaseGauges(Collector):
    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow_factory = uow_factory

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._uow_factory() as uow:
            outbox = uow.outbox.count_by_status()
            stages = uow.leads.count_by_stage()
        entries = GaugeMetricFamily("handoff_outbox_entries", "Outbox entries by status", labels=["status"])
        for status in ("pending", "sent", "parked"):
            entries.add_metric([status], outbox.get(status, 0))
        yield entries
        leads = GaugeMetricFamily("handoff_leads", "Leads by stage", labels=["stage"])
        for stage, count in sorted(stages.items()):
            leads.add_metric([stage], count)
        yield leads

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(())

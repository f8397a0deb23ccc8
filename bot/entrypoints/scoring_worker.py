"""The scorer in ``handoff serve``: a background thread that folds what ingestion appends.

Ingestion wakes it; otherwise it looks every HANDOFF_SCORER_POLL_SECONDS (another process may have
appended, or held the scorer's lease). New cards wake the delivery worker.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.metrics import Metrics
from bot.runtime import Runtime

log = logging.getLogger(__name__)


class ScoringWorker:
    """Runs scorer passes until :meth:`stop`; :meth:`wake` after appending to skip the poll wait."""

    def __init__(
        self, *, runtime: Runtime, wake_delivery: Callable[[], None], metrics: Metrics | None = None
    ) -> None:
        self._runtime = runtime
        self._wake_delivery = wake_delivery
        self._metrics = metrics
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Score in a daemon thread."""
        self._thread = threading.Thread(target=self._loop, name="handoff-scorer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the chunk in hand, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def wake(self) -> None:
        """Look at the event log now rather than at the next poll."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                done = self._runtime.score()
            except Exception:
                log.exception("scorer pass failed; trying again after a pause")
                done = None
            if done is not None and (done.new_cards or done.recorded):
                self._wake_delivery()
                if self._metrics is not None:
                    self._metrics.record_stage_changes(done.recorded)
            if done is None or not done.events or done.caught_up:
                self._wake.wait(self._runtime.settings.scorer_poll_seconds)

"""The leads the scorer wrote, kept in memory from one chunk to the next.

A backlog's chunks touch most leads again and again; reading each one back (its ledger and life as
JSON) cost a tenth of the scorer's time. A kept lead is used only while its stored version stamp is
the one this process wrote: any other write (a decision or a tick in ``serve``, a rescore, another
process's scorer) draws another stamp or clears it, and the lead is read from the table again. A
chunk that fails leaves kept leads changed in memory but not in the table: the cache is emptied.
Two passes of one process (``serve``'s worker and a request that waits for the scorer) never
share it: the second gets an empty cache of its own.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from storage.leads import LeadState
from storage.uow import UnitOfWork


class LeadCache:
    """Leads as this process last committed them, by id."""

    def __init__(self, *, limit: int = 200_000) -> None:
        self._leads: dict[int, LeadState] = {}
        self._limit = limit
        self._in_use = threading.Lock()

    @contextmanager
    def claimed(self) -> Iterator[LeadCache]:
        """This cache for one scorer pass at a time; a pass that finds it in use gets a new one."""
        if not self._in_use.acquire(blocking=False):
            yield LeadCache(limit=self._limit)
            return
        try:
            yield self
        finally:
            self._in_use.release()

    def lock(self, uow: UnitOfWork, lead_ids: Iterable[int]) -> dict[int, LeadState]:
        """The leads, locked as ``lock_by_ids`` locks them: the kept ones whose stamp still holds,
        the others read."""
        return self.leads(uow, lead_ids, lock=True)

    def leads(self, uow: UnitOfWork, lead_ids: Iterable[int], *, lock: bool) -> dict[int, LeadState]:
        """The leads: the kept ones whose stamp still holds, the others read (``lock``: as
        ``LeadRepository.by_ids``)."""
        wanted = list(lead_ids)
        kept = self._leads
        if not kept:
            return uow.leads.by_ids(wanted, lock=lock)
        found: dict[int, LeadState] = {}
        for lead_id, version in uow.leads.versions(wanted, lock=lock).items():
            lead = kept.get(lead_id)
            if lead is not None and version is not None and lead.version == version:
                found[lead_id] = lead
        missing = [lead_id for lead_id in wanted if lead_id not in found]
        if missing:
            found.update(uow.leads.by_ids(missing, lock=lock))
        return found

    def forget(self, lead_ids: Iterable[int]) -> None:
        """Forget these leads (changed in memory by work the database did not keep)."""
        for lead_id in lead_ids:
            self._leads.pop(lead_id, None)

    def keep(self, leads: Iterable[LeadState]) -> None:
        """Keep leads just committed (all of them dropped first once past the limit)."""
        leads = list(leads)
        if len(self._leads) + len(leads) > self._limit:
            self._leads.clear()
        self._leads.update((lead.id, lead) for lead in leads)

    def clear(self) -> None:
        """Forget every kept lead (after a failed chunk)."""
        self._leads.clear()

"""Folding a group's leads before its transaction, kept only where they still hold.

A lead whose new facts all come after its state is folded from what a read-only unit shows, with
no lock held meanwhile: on SQLite, whose writers take turns, another process writes while this one
folds. The group's transaction then locks the leads and keeps the folds only if every folded lead
still has the version stamp its fold started from (any other write draws another, or clears it
and makes the lead underived, which is never folded) and none was set aside since; otherwise the
whole group is scored in the transaction, as if nothing had been folded. Replays (late facts,
leads set aside) read the lead's stored history, so they are left to the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.services.lead_cache import LeadCache
from bot.services.lifecycle_writes import LeadWriter
from scoring.facts import Fact
from storage.uow import UnitOfWork


@dataclass
class Ahead:
    """What was folded before the transaction, and the stamp each folded lead started from."""

    writer: LeadWriter
    stamps: dict[int, int | None]

    def holds(self, uow: UnitOfWork, *, aside: set[int]) -> bool:
        """Whether the folds still hold in ``uow`` (whose transaction this locks the folded leads in)."""
        if aside & self.stamps.keys():
            return False
        return not self.stamps or uow.leads.lock_versions(self.stamps) == self.stamps


def fold_ahead(
    uow: UnitOfWork, new_writer: Callable[[], LeadWriter], facts: dict[int, list[Fact]], cache: LeadCache
) -> Ahead:
    """Fold, in the read-only ``uow``, each lead of ``facts`` whose new facts all come after it."""
    leads = cache.leads(uow, facts, lock=False)
    aside = set(uow.quarantine.lead_ids())
    writer = new_writer()
    stamps: dict[int, int | None] = {}
    for lead_id, new in facts.items():
        lead = leads[lead_id]
        if lead_id not in aside and writer.folds(lead, new):
            stamps[lead_id] = lead.version
            writer.apply(lead, new)
    return Ahead(writer, stamps)

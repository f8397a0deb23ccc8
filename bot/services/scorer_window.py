"""The scorer's window: the events after the checkpoint, read at once and scored lead by lead.

A backlog's events are spread over its leads: scored by ranges of event ids, each chunk touched
most leads again, and each lead was written once per chunk. A window is read once, its events
grouped by lead, and scored a group of leads per transaction (leads in id order): a lead is written
once per window. The scorer's row says how far a window part way through has come
(``ScorerStateRepository.mark_window``), so a pass stopped midway resumes after the last lead it
stored; the checkpoint moves to the window's end with its last group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from bot.services.lead_life import event_fact
from scoring.facts import Fact
from storage.event_reads import LoggedEvent
from storage.uow import UnitOfWork


@dataclass(frozen=True)
class Window:
    """Events up to ``end`` not yet scored, by lead (ascending ids), and the horizon it was read under."""

    end: int
    facts: dict[int, list[Fact]]
    horizon: int

    def part(self, lead_ids: list[int]) -> Window:
        """This window with only these leads (ascending ids)."""
        return Window(self.end, {lead_id: self.facts[lead_id] for lead_id in lead_ids}, self.horizon)

    def after(self, lead_id: int) -> Window:
        """This window with only the leads after ``lead_id``."""
        return self.part([lead for lead in self.facts if lead > lead_id])

    def groups(self, next_size: Callable[[], int]) -> Iterator[tuple[list[int], bool]]:
        """Runs of leads, each with at least ``next_size()`` events (or the window's last leads),
        and whether it is the last run; a window with no events is one empty run."""
        leads = list(self.facts)
        start = 0
        while True:
            size, events = next_size(), 0
            group: list[int] = []
            while start < len(leads) and (not group or events < size):
                group.append(leads[start])
                events += len(self.facts[leads[start]])
                start += 1
            yield group, start >= len(leads)
            if start >= len(leads):
                return


def read_window(uow: UnitOfWork, *, horizon: int, limit: int) -> Window | None:
    """The window part way through, without the leads already scored; else the next ``limit``
    events up to ``horizon``; None when the checkpoint has reached the horizon."""
    checkpoint = uow.scorer.checkpoint()
    marked = uow.scorer.window()
    if marked is not None and marked.end > checkpoint:
        events = uow.events.after(checkpoint, upto=marked.end, limit=marked.end - checkpoint)
        return Window(marked.end, _by_lead(events, after=marked.lead), horizon)
    if checkpoint >= horizon:
        return None
    events = uow.events.after(checkpoint, upto=horizon, limit=limit)
    return Window(events[-1].id if events else horizon, _by_lead(events, after=0), horizon)


def _by_lead(events: list[LoggedEvent], *, after: int) -> dict[int, list[Fact]]:
    by_lead: dict[int, list[Fact]] = defaultdict(list)
    for event in events:
        if event.lead_id > after:
            by_lead[event.lead_id].append(event_fact(event))
    return {lead_id: by_lead[lead_id] for lead_id in sorted(by_lead)}

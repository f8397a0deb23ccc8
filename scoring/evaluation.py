"""How well scores rank leads against what became of them: pure arithmetic on (score, label) pairs.

A label is True for a lead that converted (an opportunity or a won deal; or, against decisions, an
accepted handoff). Nothing here reads the clock or a database.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scored:
    """One lead at the moment that matters: its score, stage then, and whether it converted."""

    score: float
    stage: str
    converted: bool


@dataclass(frozen=True, slots=True)
class Group:
    """A slice of leads: how many, how many converted, and the conversion rate."""

    name: str
    leads: int
    converted: int

    @property
    def rate(self) -> float:
        """The share that converted (0 for an empty group)."""
        return self.converted / self.leads if self.leads else 0.0


@dataclass(frozen=True, slots=True)
class AtThreshold:
    """Calling every lead scoring at least ``threshold`` a converter: how right, how complete."""

    name: str
    threshold: float
    precision: float
    recall: float
    flagged: int


def roc_auc(leads: Sequence[Scored]) -> float | None:
    """The chance a converter outscores a non-converter (ties count half); None without both."""
    ranked = sorted(leads, key=lambda lead: lead.score)
    positives = sum(lead.converted for lead in ranked)
    negatives = len(ranked) - positives
    if positives == 0 or negatives == 0:
        return None
    rank_sum, index = 0.0, 0
    while index < len(ranked):
        end = index
        while end < len(ranked) and ranked[end].score == ranked[index].score:
            end += 1
        mean_rank = (index + 1 + end) / 2  # ranks index+1 … end share their mean
        rank_sum += mean_rank * sum(lead.converted for lead in ranked[index:end])
        index = end
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def by_decile(leads: Sequence[Scored]) -> list[Group]:
    """Leads by score decile, highest first ("1" is the top tenth)."""
    ranked = sorted(leads, key=lambda lead: -lead.score)
    size = len(ranked)
    groups = []
    for decile in range(10):
        part = ranked[decile * size // 10 : (decile + 1) * size // 10]
        groups.append(Group(str(decile + 1), len(part), sum(lead.converted for lead in part)))
    return groups


def lift(groups: Sequence[Group], overall: float) -> list[float]:
    """Each group's conversion rate over the overall rate (0 when nobody converted)."""
    return [group.rate / overall if overall else 0.0 for group in groups]


def by_band(leads: Sequence[Scored], edges: Sequence[float]) -> list[Group]:
    """Leads by score band: below the first edge, between edges, and at or above the last."""
    bounds = sorted(edges)
    names = [f"< {bounds[0]:g}"] + [f"{low:g}–{high:g}" for low, high in itertools.pairwise(bounds)]
    names.append(f"≥ {bounds[-1]:g}")
    counts = [[0, 0] for _ in names]
    for lead in leads:
        slot = sum(lead.score >= edge for edge in bounds)
        counts[slot][0] += 1
        counts[slot][1] += lead.converted
    return [Group(name, total, converted) for name, (total, converted) in zip(names, counts, strict=True)]


def by_stage(leads: Sequence[Scored], order: Sequence[str]) -> list[Group]:
    """Leads by the stage they stood at at the moment that matters, in ``order``."""
    counts = {stage: [0, 0] for stage in order}
    for lead in leads:
        entry = counts.setdefault(lead.stage, [0, 0])
        entry[0] += 1
        entry[1] += lead.converted
    return [Group(stage, total, converted) for stage, (total, converted) in counts.items() if total]


def at_threshold(leads: Sequence[Scored], name: str, threshold: float) -> AtThreshold:
    """Precision and recall of "score ≥ threshold" as a prediction of conversion."""
    flagged = [lead for lead in leads if lead.score >= threshold]
    hits = sum(lead.converted for lead in flagged)
    converters = sum(lead.converted for lead in leads)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / converters if converters else 0.0
    return AtThreshold(name, threshold, precision, recall, len(flagged))

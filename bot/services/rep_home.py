"""A rep's own part of the App Home when routing is on: the open handoffs assigned to them and
whether they take new leads. A rep is a member of a team, or anyone holding a card or away."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.cards import CardView, card_view
from scoring import ScoringModel
from scoring.routing import Routing
from storage.uow import UnitOfWork

MAX_QUEUE = 10


@dataclass(frozen=True)
class RepQueue:
    """The handoffs a rep holds (oldest first, at most :data:`MAX_QUEUE`), how many they hold in
    all, and until when they are away (None: taking new leads)."""

    cards: list[CardView]
    total: int
    away_until: datetime | None

    @property
    def more(self) -> int:
        """Held handoffs past the ones shown."""
        return max(self.total - len(self.cards), 0)


def rep_queue(
    *, uow: UnitOfWork, user_id: str, routing: Routing, model: ScoringModel, now: datetime
) -> RepQueue | None:
    """``user_id``'s queue and status as of ``now`` (None: not a rep, their Home is as without routing)."""
    with uow:
        held = uow.handoffs.open_assigned_to(user_id, limit=MAX_QUEUE)
        cards = [card_view(uow=uow, handoff=handoff, model=model, now=now) for handoff in held]
        total = uow.assignments.open_counts([user_id]).get(user_id, 0)
        away = uow.assignments.away_until([user_id], now=now).get(user_id)
    member = any(m.user == user_id for team in routing.teams.values() for m in team.members)
    if not (member or total or away):
        return None
    return RepQueue([card for card in cards if card is not None], total, away)

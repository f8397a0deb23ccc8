"""Where a new card goes and who holds it: the routing file's first matching route, the account's
owner or the team's next rep in turn (taken in the database, so replicas share one turn), and when
it is due and escalates in that team's working time. Without a routing file: the sales channel, no
owner, calendar minutes (as before routing existed)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from bot.services.policy import HandoffPolicy
from bot.services.webhook_queue import assigned, queue_webhook
from bot.webhooks.config import WebhookConfig
from scoring import ScoringModel
from scoring.facts import Move
from scoring.routing import RepState, Route, RoutedLead, Routing, assign, chain, route_for
from scoring.working_hours import WorkingHours
from storage.assignments import AssignmentRecord
from storage.handoffs import NewHandoff, Placement
from storage.leads import LeadState
from storage.outbox import ASSIGNED
from storage.uow import UnitOfWork

ROUTED = "route"
ACCOUNT_OWNER = "owner"


class Placer:
    """Places the cards of one unit of work, counting the turns it gives until that work commits."""

    def __init__(self, *, uow: UnitOfWork, policy: HandoffPolicy, model: ScoringModel, now: datetime) -> None:
        self.uow, self.policy, self.model, self.now = uow, policy, model, now
        self._turns: dict[str, dict[str, int]] = {}
        self._given: Counter[str] = Counter()

    def place(self, lead: LeadState, move: Move) -> tuple[Placement, datetime]:
        """The card's placement and its SLA due time."""
        routing = self.policy.routing
        route = route_for(routing, self._routed(lead, move)) if routing else None
        if routing is None or route is None:
            return self._unrouted()
        owner = self._owner(lead) if route.account_owner else None
        team, assignee = (route.team, owner) if owner else self._take_turn(routing, route)
        hours = routing.teams[team].hours if team else None
        placement = Placement(
            channel=route.channel,
            assignee=assignee,
            team=team,
            route=route.name,
            escalation_due_at=self._due(hours, 2 * self.policy.sla_minutes),
            cause=ACCOUNT_OWNER if owner else ROUTED,
        )
        if assignee:
            self._given[assignee] += 1
        return placement, self._due(hours, self.policy.sla_minutes)

    def _unrouted(self) -> tuple[Placement, datetime]:
        placement = Placement(self.policy.sales_channel, None, None, None, None)
        return placement, self._due(None, self.policy.sla_minutes)

    def _due(self, hours: WorkingHours | None, minutes: float) -> datetime:
        if hours is None:
            return self.now + timedelta(minutes=minutes)
        return hours.add_minutes(self.now, minutes)

    def _routed(self, lead: LeadState, move: Move) -> RoutedLead:
        return RoutedLead(
            profile=lead.profile,
            score=move.score.total,
            fit=move.score.fit,
            trigger=move.trigger.type if move.trigger else None,
            account_owner=self._owner(lead),
        )

    def _owner(self, lead: LeadState) -> str | None:
        domain = lead.profile.email_domain
        if not domain or domain in self.model.free_mail_domains:
            return None
        return self.uow.assignments.owner_of(domain)

    def _take_turn(self, routing: Routing, route: Route) -> tuple[str | None, str | None]:
        if route.team is None:
            return None, None
        return self.next_holder(routing, route.team)

    def next_holder(
        self, routing: Routing, team_name: str, *, passing: str | None = None
    ) -> tuple[str, str | None]:
        """The team and rep whose turn it is (the rep None when nobody can take it); ``passing``:
        the rep an escalation takes the card from, who is skipped."""
        users = {member.user for team in routing.teams.values() for member in team.members}
        away = self.uow.assignments.away_until(users, now=self.now)
        counts = Counter(self.uow.assignments.open_counts(users)) + self._given
        states = {
            user: RepState(away=user in away or user == passing, open_handoffs=counts[user]) for user in users
        }
        turns = {name: self._team_turns(routing, name) for name in chain(routing, team_name)}
        taken = assign(routing, team_name, turns=turns, states=states, now=self.now)
        if taken is None:
            return team_name, None
        team, member = taken
        self.uow.assignments.add_turn(team=team, user_id=member.user)
        self._turns[team][member.user] = self._turns[team].get(member.user, 0) + 1
        return team, member.user

    def _team_turns(self, routing: Routing, team: str) -> dict[str, int]:
        if team not in self._turns:
            members = [member.user for member in routing.teams[team].members]
            self._turns[team] = self.uow.assignments.lock_turns(team, members=members)
        return self._turns[team]


def announce_cards(
    uow: UnitOfWork,
    cards: Sequence[tuple[int, NewHandoff]],
    *,
    emails: Mapping[int, str],
    now: datetime,
    webhooks: WebhookConfig | None = None,
) -> None:
    """Queue the cards of new handoffs, in order per channel; record who holds each, and queue a
    direct message to them with a link to it (sent once the card is posted)."""
    by_channel: dict[str | None, list[int]] = {}
    for handoff_id, handoff in cards:
        placed = handoff.placed
        by_channel.setdefault(placed.channel if placed else None, []).append(handoff_id)
    for channel, handoff_ids in by_channel.items():
        uow.outbox.add_cards(handoff_ids, at=now, channel=channel)
    for handoff_id, handoff in cards:
        placed = handoff.placed
        if placed is None or placed.assignee is None:
            continue
        taken = AssignmentRecord(
            handoff_id, placed.assignee, None, placed.cause or ROUTED, None, placed.route, now
        )
        uow.assignments.record(taken)
        uow.outbox.add(kind=ASSIGNED, at=now, handoff_id=handoff_id, payload={"user": placed.assignee})
        said = assigned(record=taken, email=emails.get(handoff.lead_id, ""), lead_id=handoff.lead_id)
        queue_webhook(uow, webhooks, said, lead_id=handoff.lead_id, at=now, now=now)

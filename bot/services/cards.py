"""What a handoff card shows, gathered from storage and scored as of a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.services.card_events import CardEvent, card_events
from bot.services.lead_life import earlier_decision
from scoring import EngagementLedger, HandoffStatus, LeadProfile, Score, ScoringModel, Stage, score_lead
from scoring.facts import EarlierDecision, SignalKind
from storage.accounts import AccountActivity
from storage.handoffs import DecisionRecord, HandoffRecord
from storage.leads import LeadState
from storage.signals import StoredSignal
from storage.uow import UnitOfWork

TIMELINE_LENGTH = 30  # read enough to fold repeats (a burst of page views) into one line
ACCOUNT_WINDOW = timedelta(days=30)
ACCOUNT_NAMED = 3


@dataclass(frozen=True)
class CardView:
    """Everything the Block Kit builders need for one handoff card (plain data, no I/O)."""

    handoff_id: int
    email: str
    profile: LeadProfile
    stage: Stage
    score: Score
    timeline: list[CardEvent]  # newest first
    trigger: str
    created_at: datetime
    sla_due_at: datetime
    status: HandoffStatus
    decision: DecisionRecord | None
    channel: str | None = None
    message_ts: str | None = None
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    earlier: EarlierDecision | None = None  # the lead's decision before this card: it is returning
    warnings: tuple[StoredSignal, ...] = ()  # what went wrong since the card, oldest first
    trigger_event: CardEvent | None = None  # the event that made this SQL
    trigger_label: str | None = None  # the model's label for the hand-raise in ``trigger``
    campaign: str | None = None  # the campaign of that event
    account: AccountActivity | None = None  # others at the lead's company who engaged lately
    earlier_handoffs: tuple[EarlierDecision, ...] = ()  # decisions on the lead's earlier cards, newest first
    assignee: str | None = None  # the rep who holds it (None: anyone in its channel decides)
    team: str | None = None  # the routing team whose working hours its SLA counts

    @property
    def is_open(self) -> bool:
        """Whether the card still waits for a decision."""
        return self.status == HandoffStatus.OPEN

    @property
    def is_history(self) -> bool:
        """Whether this SQL was recorded as history (qualified long before anyone saw it: no card)."""
        return self.status == HandoffStatus.HISTORY


def card_view(
    *,
    uow: UnitOfWork,
    handoff: HandoffRecord,
    model: ScoringModel,
    now: datetime,
    show_personal: bool = False,
) -> CardView | None:
    """The card of ``handoff`` (inside an open unit of work), or None if its lead is gone.

    Personal event properties (a phone number) are left out unless ``show_personal``."""
    lead = uow.leads.get(handoff.lead_id)
    if lead is None:
        return None
    score = score_lead(
        model=model, profile=lead.profile, ledger=EngagementLedger.from_json(lead.ledger), at=now
    )
    trigger_event_id, campaign = uow.handoffs.trigger_of(handoff.id)
    trigger = uow.events.by_event_id(trigger_event_id) if trigger_event_id else None
    in_words = card_events(
        [*([trigger] if trigger else []), *uow.events.recent(lead.id, limit=TIMELINE_LENGTH)],
        model=model,
        show_personal=show_personal,
    )
    trigger_event = in_words[0] if trigger else None
    timeline = in_words[1:] if trigger else in_words
    return CardView(
        handoff_id=handoff.id,
        email=lead.email,
        profile=lead.profile,
        stage=lead.stage,
        score=score,
        timeline=timeline,
        trigger=handoff.trigger,
        created_at=handoff.created_at,
        sla_due_at=handoff.sla_due_at,
        status=handoff.status,
        decision=handoff.decision,
        channel=handoff.channel,
        message_ts=handoff.message_ts,
        reminded_at=handoff.reminded_at,
        escalated_at=handoff.escalated_at,
        earlier=earlier_decision(handoff.earlier),
        warnings=card_warnings(uow=uow, handoff=handoff),
        trigger_event=trigger_event,
        trigger_label=hand_raise_label(trigger=handoff.trigger, model=model),
        campaign=campaign,
        account=account_activity(uow=uow, lead=lead, model=model, now=now),
        earlier_handoffs=earlier_handoffs(uow=uow, handoff=handoff),
        assignee=handoff.assignee,
        team=handoff.team,
    )


def hand_raise_label(*, trigger: str, model: ScoringModel) -> str | None:
    """ "Booked a demo" for a trigger "hand raised: demo_request" (None for any other trigger)."""
    kind, separator, event_type = trigger.partition("hand raised: ")
    return model.event_display(event_type.strip()).label if separator and not kind else None


def account_activity(
    *, uow: UnitOfWork, lead: LeadState, model: ScoringModel, now: datetime
) -> AccountActivity | None:
    """Others at the lead's company (never a free-mail domain) who engaged in the last 30 days."""
    domain = lead.profile.email_domain
    if not domain or domain in model.free_mail_domains:
        return None
    activity = uow.accounts.engaged(
        domain=domain, excluding_lead_id=lead.id, since=now - ACCOUNT_WINDOW, until=now, limit=ACCOUNT_NAMED
    )
    return activity if activity.total else None


def earlier_handoffs(*, uow: UnitOfWork, handoff: HandoffRecord) -> tuple[EarlierDecision, ...]:
    """The decisions on the lead's cards before ``handoff``, newest first."""
    decided = [
        EarlierDecision(
            h.decision.action,
            h.decision.decided_at,
            h.decision.decided_by,
            h.decision.reason,
            h.decision.note,
        )
        for h in uow.handoffs.for_lead(handoff.lead_id)
        if h.decision is not None and h.id != handoff.id and h.created_at <= handoff.created_at
    ]
    return tuple(reversed(decided))


def card_warnings(*, uow: UnitOfWork, handoff: HandoffRecord) -> tuple[StoredSignal, ...]:
    """The lead's warnings (unsubscribed, bounced, disqualified) from the card's creation until its
    decision: what a rep should know before acting on it."""
    signals = uow.signals.for_lead(handoff.lead_id, since=handoff.created_at)
    return tuple(
        signal
        for signal in signals
        if signal.kind == SignalKind.CARD_WARNING
        and (handoff.decided_at is None or signal.at <= handoff.decided_at)
    )


def home_views(
    *, uow: UnitOfWork, user_id: str, model: ScoringModel, now: datetime
) -> tuple[list[CardView], list[CardView]]:
    """The handoffs waiting for a decision (oldest first) and ``user_id``'s latest decisions."""
    with uow:
        waiting = [
            card_view(uow=uow, handoff=h, model=model, now=now) for h in uow.handoffs.open_for_home(limit=20)
        ]
        mine = [
            card_view(uow=uow, handoff=h, model=model, now=now)
            for h in uow.handoffs.decided_by(user_id, limit=10)
        ]
    return [v for v in waiting if v is not None], [v for v in mine if v is not None]

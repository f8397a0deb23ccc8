"""Writing what the lifecycle derived for leads: stage changes, handoffs and their cards, signals.

A lead's new facts that come after everything it has folded are folded on top of its state; any
other (a late event, a decision older than the lead's latest fact, a lead never derived) makes the
lead replayed from all its facts, and the stored history is brought in line with the derived one:
rows that still hold are kept, the rest replaced. Posted cards and decisions are facts and stay.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from operator import attrgetter
from typing import Any

from pydantic import BaseModel

from bot.services.lead_life import base_profile, earlier_json, event_fact, life_of, start_life, store_life
from bot.services.lifecycle_walk import Walk, walk
from bot.services.placement import Placer, announce_cards
from bot.services.policy import HandoffPolicy, is_live
from bot.services.webhook_queue import outcome_of, queue_webhook
from bot.webhooks.events import LeadRef, StageChanged
from scoring import HandoffStatus, ScoringModel, Stage
from scoring.facts import CardFact, DecisionFact, EventFact, Fact, LeadLife, Move, Signal, SignalKind, Tick
from scoring.outcomes import OUTCOME_EVENTS
from storage.handoffs import DecisionRecord, HistoryRow, NewHandoff, StoredHandoff
from storage.leads import LeadState
from storage.outbox import OWNER_NOTE
from storage.replay_reads import StoredLife
from storage.uow import UnitOfWork

_AT = attrgetter("at")
CAMPAIGN_CHARACTERS = 200  # the stage change's and the handoff's column: a property may be longer


def decision_fact(decision: DecisionRecord) -> DecisionFact:
    """A stored decision as the lifecycle reads it."""
    return DecisionFact(
        at=decision.decided_at,
        action=decision.action,
        by=decision.decided_by,
        reason=decision.reason,
        note=decision.note,
        recycle_until=decision.recycle_until,
    )


@dataclass
class LeadWriter:
    """One transaction's lifecycle writes for any number of leads; :meth:`flush` ends them."""

    uow: UnitOfWork
    model: ScoringModel
    policy: HandoffPolicy
    now: datetime
    recorded: Counter[str] = field(default_factory=Counter)
    new_cards: list[str] = field(default_factory=list)
    _bulk: list[dict[str, Any]] = field(default_factory=list)
    _then: list[tuple[int, LeadState, Move, int | None]] = field(default_factory=list)
    _opening: list[tuple[LeadState, NewHandoff, Move]] = field(default_factory=list)
    _noticed: list[tuple[LeadState, dict[str, Any]]] = field(default_factory=list)
    _leads: dict[int, LeadState] = field(default_factory=dict)
    _lives: dict[int, StoredLife] = field(default_factory=dict)
    _replaced: list[tuple[list[int], list[int]]] = field(default_factory=list)
    _told: list[tuple[LeadState, BaseModel, datetime]] = field(default_factory=list)
    _placer: Placer | None = None

    def apply(
        self, lead: LeadState, facts: Sequence[Fact], *, upto_event: int | None = None, whole: bool = False
    ) -> None:
        """Fold ``facts`` (new to ``lead``) into it, or replay it when they are not all after it (or
        when ``whole``: its stored state is not to be trusted, as for a lead kept aside)."""
        self._tell_outcomes(lead, facts)
        if not whole and self.folds(lead, facts):
            self._fold(lead, facts)
        else:
            self.replay(lead, upto_event=upto_event)

    @staticmethod
    def folds(lead: LeadState, facts: Sequence[Fact]) -> bool:
        """Whether ``facts`` all come after what ``lead`` has folded (else it is replayed)."""
        first = min(map(_AT, facts)) if facts else None
        return lead.derived and (lead.as_of is None or (first is not None and first > lead.as_of))

    def continue_in(self, uow: UnitOfWork) -> None:
        """Go on in ``uow``: what was folded so far (read elsewhere, see ``scorer_ahead``) is
        written there, with whatever is applied next."""
        self.uow = uow

    def preload(self, lead_ids: Sequence[int], *, upto_event: int) -> None:
        """Read what the replays of ``lead_ids`` need, for all of them at once."""
        self._lives.update(self.uow.replays.lives(lead_ids, upto=upto_event))

    def replay(self, lead: LeadState, *, upto_event: int | None = None) -> None:
        """Derive ``lead`` again from all its stored facts and bring its stored history in line."""
        life = self._lives.pop(lead.id, None)
        if life is None:
            # Only what the scorer has reached: later events are folded when it reaches them.
            upto = upto_event if upto_event is not None else self.uow.scorer.reached()
            life = self.uow.replays.lives([lead.id], upto=upto)[lead.id]
        facts: list[Fact] = [event_fact(event) for event in life.events]
        facts += [CardFact(handoff.created_at, handoff.id) for handoff in life.handoffs if handoff.is_fact]
        facts += [decision_fact(decision) for _, decision in life.decisions]
        start = start_life(lead)
        result = walk(start, [*facts, Tick(self.now)], model=self.model, now=self.now)
        _Reconcile(self, lead, result, life).run()
        self._signals(lead, result.signals)
        self._store(lead, result.state)

    @property
    def leads(self) -> list[LeadState]:
        """The leads this writer stored (once flushed)."""
        return list(self._leads.values())

    def flush(self) -> None:
        """Write what was gathered: the webhook events, the stage changes in bulk, then delete the
        rows replays replaced (once kept handoffs are repointed), the signals, and every lead touched."""
        told, self._told = self._told, []
        for lead, event, at in told:
            queue_webhook(self.uow, self.policy.webhooks, event, lead_id=lead.id, at=at, now=self.now)
        self.write_moves()
        replaced, self._replaced = self._replaced, []
        self.uow.handoffs.delete_handoffs([row for handoffs, _ in replaced for row in handoffs])
        self.uow.handoffs.delete_stage_changes([row for _, changes in replaced for row in changes])
        self._write_signals()
        self.uow.leads.save(list(self._leads.values()), scored_at=self.now)

    def _fold(self, lead: LeadState, facts: Sequence[Fact]) -> None:
        result = walk(life_of(lead), [*facts, Tick(self.now)], model=self.model, now=self.now)
        for move in result.moves:
            self.record(lead, move)
        self._signals(lead, result.signals)
        self._store(lead, result.state)

    def record(
        self, lead: LeadState, move: Move, *, handoff: int | None = None, known_since: datetime | None = None
    ) -> None:
        """Queue a move's row; an SQL move also gets its handoff (new, or ``handoff`` kept) once
        :meth:`write_moves` has stored the row. A move a replay only re-dates keeps the moment it was
        first recorded (``known_since``) and is not counted again."""
        if known_since is None:
            self.recorded[move.to_stage.value] += 1
            self._tell_move(lead, move)
        self._bulk.append(self._row(lead, move) | ({"recorded_at": known_since} if known_since else {}))
        if move.to_stage is Stage.SQL:
            self._then.append((len(self._bulk) - 1, lead, move, handoff))

    def write_moves(self) -> None:
        """Store the queued moves in one statement (in the order they happened), then their handoffs."""
        ids = self.uow.handoffs.add_stage_changes(self._bulk)
        then, self._bulk, self._then = self._then, [], []
        for index, lead, move, handoff in then:
            if handoff is None:
                self.open_handoff(lead, move, ids[index])
            else:
                self.uow.handoffs.repoint(handoff, stage_change_id=ids[index], episode=move.episode)
        self._write_handoffs()

    def replaced(self, *, handoffs: list[int], stage_changes: list[int]) -> None:
        """Rows of a replayed lead's stored history that its replay replaced: deleted by
        :meth:`flush`, for every lead at once (one statement each, not one per lead)."""
        self._replaced.append((handoffs, stage_changes))

    def open_handoff(self, lead: LeadState, move: Move, change_id: int) -> None:
        """Queue a handoff for an SQL move (a card if it is recent, history if it is not), opened
        by :meth:`write_moves`."""
        live = is_live(move.at, model=self.model, now=self.now)
        created_at = self.now if live else move.at
        handoff = NewHandoff(
            lead_id=lead.id,
            stage_change_id=change_id,
            trigger=move.reason,
            score=move.score,
            status=HandoffStatus.OPEN if live else HandoffStatus.HISTORY,
            created_at=created_at,
            sla_due_at=created_at + timedelta(minutes=self.policy.sla_minutes),
            episode=move.episode,
            earlier=earlier_json(move.returning),
            campaign=_campaign(move),
        )
        self._opening.append((lead, handoff, move))

    def _write_handoffs(self) -> None:
        opening, self._opening = self._opening, []
        handoffs = [self._placed(lead, handoff, move) for lead, handoff, move in opening]
        ids = self.uow.handoffs.open_handoffs(handoffs)
        cards = [
            (handoff_id, handoff)
            for handoff_id, handoff in zip(ids, handoffs, strict=True)
            if handoff.status is HandoffStatus.OPEN
        ]
        emails = {lead.id: lead.email for lead, _, _ in opening}
        announce_cards(self.uow, cards, emails=emails, now=self.now, webhooks=self.policy.webhooks)
        self.new_cards.extend(lead.email for lead, new, _ in opening if new.status is HandoffStatus.OPEN)

    def _tell_move(self, lead: LeadState, move: Move) -> None:
        if self.policy.webhooks is None or not is_live(move.at, model=self.model, now=self.now):
            return
        score = move.score
        changed = StageChanged(
            lead=LeadRef(id=lead.id, email=lead.email),
            from_stage=move.from_stage.value,
            to_stage=move.to_stage.value,
            reason=move.reason,
            score=score.total,
            fit=score.fit,
            engagement=score.engagement,
            changed_at=move.at,
        )
        self._told.append((lead, changed, move.at))

    def _tell_outcomes(self, lead: LeadState, facts: Sequence[Fact]) -> None:
        if self.policy.webhooks is None:
            return
        for fact in facts:
            if not isinstance(fact, EventFact) or fact.type not in OUTCOME_EVENTS:
                continue
            if is_live(fact.at, model=self.model, now=self.now):
                outcome = outcome_of(lead=LeadRef(id=lead.id, email=lead.email), fact=fact)
                self._told.append((lead, outcome, fact.at))

    def _placed(self, lead: LeadState, handoff: NewHandoff, move: Move) -> NewHandoff:
        if handoff.status is not HandoffStatus.OPEN:
            return handoff
        if self._placer is None:
            self._placer = Placer(uow=self.uow, policy=self.policy, model=self.model, now=self.now)
        placement, due = self._placer.place(lead, move)
        return replace(handoff, placed=placement, sla_due_at=due)

    def _row(self, lead: LeadState, move: Move) -> dict[str, Any]:
        score = move.score
        return {
            "lead_id": lead.id,
            "from_stage": move.from_stage.value,
            "to_stage": move.to_stage.value,
            "reason": move.reason,
            "score": score.total,
            "fit": score.fit,
            "engagement": score.engagement,
            "explanation": score.as_dict(),
            "changed_at": move.at,
            "cause": move.cause.value,
            "recorded_at": self.now,
            "trigger_event_id": move.trigger.event_id if move.trigger else None,
            "campaign": _campaign(move),
            "model_version": self.model.label,
        }

    def _signals(self, lead: LeadState, signals: Iterable[Signal]) -> None:
        self._noticed += [
            (
                lead,
                {
                    "lead_id": lead.id,
                    "kind": signal.kind.value,
                    "at": signal.at,
                    "detail": signal.detail,
                    "event_id": signal.event_id or "",
                    "owner": signal.owner,
                    "recorded_at": self.now,
                },
            )
            for signal in signals
        ]

    def _write_signals(self) -> None:
        """Store the signals gathered, and tell of the new ones that are recent."""
        noticed, self._noticed = self._noticed, []
        new = {id(row) for row in self.uow.signals.add_new([row for _, row in noticed])}
        for lead, row in noticed:
            if id(row) in new and is_live(row["at"], model=self.model, now=self.now):
                self._tell(lead, row)

    def _tell(self, lead: LeadState, signal: dict[str, Any]) -> None:
        self.write_moves()  # the handoff told about may be one of them
        kind = SignalKind(signal["kind"])
        if kind is SignalKind.OWNER_HAND_RAISE:
            accepted = self.uow.handoffs.latest_with_status(lead.id, HandoffStatus.ACCEPTED)
            if accepted is not None:
                payload = {
                    "detail": signal["detail"],
                    "owner": signal["owner"],
                    "at": signal["at"].isoformat(),
                }
                self.uow.outbox.add(kind=OWNER_NOTE, at=self.now, handoff_id=accepted, payload=payload)
        elif kind is SignalKind.CARD_WARNING:
            open_handoff = self.uow.handoffs.latest_with_status(lead.id, HandoffStatus.OPEN)
            if open_handoff is not None:
                self.uow.outbox.add_card_update(handoff_id=open_handoff, at=self.now)

    def _store(self, lead: LeadState, life: LeadLife) -> None:
        base = base_profile(lead)
        store_life(lead, life, model=self.model, now=self.now)
        lead.life["base_profile"] = base
        self._leads[lead.id] = lead


class _Reconcile:
    """The stored history of one lead brought in line with a replay's. The history is a log: the
    part both agree on stands as stored, with its handoffs; the rest is written again in the order
    it happened. A posted or decided handoff is kept on its SQL episode; an unsent one is kept when
    its SQL move is unchanged (its card stays queued), else replaced."""

    def __init__(self, writer: LeadWriter, lead: LeadState, result: Walk, life: StoredLife) -> None:
        self.writer, self.lead, self.result = writer, lead, result
        self.stored, self.rows = life.handoffs, life.history
        self.kept: set[int] = set()

    def run(self) -> None:
        rows = self.rows
        moves = self.result.moves
        common = 0
        while common < min(len(rows), len(moves)) and rows[common].key == _key(moves[common]):
            common += 1
        on_change = {handoff.stage_change_id: handoff for handoff in self.stored}
        for row, move in zip(rows[:common], moves[:common], strict=True):
            self._keep(move, row.id, on_change.get(row.id))
        unsent = {
            row.key: stored.id
            for row in rows[common:]
            if (stored := on_change.get(row.id)) is not None and not stored.is_fact
        }
        known = _first_recorded(rows[common:])
        for move in moves[common:]:
            handoff = self._handoff_for(move, unsent.pop(_key(move), None))
            earlier = known.get(move.to_stage.value)
            since = earlier.pop(0) if earlier else None
            self.writer.record(self.lead, move, handoff=handoff, known_since=since)
        still_used = {h.stage_change_id for h in self.stored if h.id not in self.kept and h.is_fact}
        self.writer.replaced(
            handoffs=[h.id for h in self.stored if h.id not in self.kept and not h.is_fact],
            stage_changes=[row.id for row in rows[common:] if row.id not in still_used],
        )

    def _keep(self, move: Move, row_id: int, handoff: StoredHandoff | None) -> None:
        if move.to_stage is not Stage.SQL:
            return
        carded = self.result.carded.get(move.episode)
        if carded is not None and (handoff is None or handoff.id != carded):
            self.writer.uow.handoffs.repoint(carded, stage_change_id=row_id, episode=move.episode)
            self.kept.add(carded)
        if handoff is not None:
            self.kept.add(handoff.id)
        elif carded is None:
            self.writer.open_handoff(self.lead, move, row_id)

    def _handoff_for(self, move: Move, unsent: int | None) -> int | None:
        if move.to_stage is not Stage.SQL:
            return None
        handoff = self.result.carded.get(move.episode, unsent)
        if handoff is not None:
            self.kept.add(handoff)
        return handoff


def _first_recorded(rows: Sequence[HistoryRow]) -> dict[str, list[datetime | None]]:
    """When each replaced move was first recorded, by the stage it reached, in the order they
    happened: a move a late event only re-dates is not new, and is not counted as new again."""
    known: dict[str, list[datetime | None]] = defaultdict(list)
    for row in rows:
        known[row.key[2]].append(row.recorded_at)
    return known


def _key(move: Move) -> tuple[Any, ...]:
    return (move.at, move.from_stage.value, move.to_stage.value, move.cause.value, move.score.total)


def _campaign(move: Move) -> str | None:
    trigger = move.trigger
    if trigger is None:
        return None
    campaign = (trigger.profile or {}).get("campaign") or trigger.properties.get("campaign")
    return str(campaign)[:CAMPAIGN_CHARACTERS] if campaign else None

"""The unit of work: one session, its repositories, and one commit per use case."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from storage.accounts import AccountRepository
from storage.assignments import AssignmentRepository
from storage.digests import DigestRepository
from storage.event_log import EventRepository
from storage.handoffs import HandoffRepository
from storage.leads import LeadRepository
from storage.notices import NoticeRepository
from storage.outbox import OutboxRepository, WebhookOutbox
from storage.pace import ChannelPaceRepository
from storage.quarantine import QuarantineRepository
from storage.replay_reads import ReplayReads
from storage.scorer_state import ScorerStateRepository
from storage.signals import SignalRepository


class ReadOnlyWork(RuntimeError):
    """A read-only unit of work was asked to commit."""


class UnitOfWork:
    """Opens a session on enter; rolls back whatever was not committed on exit.

    A read-only unit (``read_only=True``, given a read-only session factory) refuses to commit.
    """

    leads: LeadRepository
    events: EventRepository
    handoffs: HandoffRepository
    outbox: OutboxRepository
    digests: DigestRepository
    pace: ChannelPaceRepository
    notices: NoticeRepository
    signals: SignalRepository
    scorer: ScorerStateRepository
    accounts: AccountRepository
    quarantine: QuarantineRepository
    assignments: AssignmentRepository
    webhooks: WebhookOutbox

    def __init__(self, session_factory: sessionmaker[Session], *, read_only: bool = False) -> None:
        self._session_factory = session_factory
        self.read_only = read_only

    def __enter__(self) -> UnitOfWork:
        self.session = self._session_factory()
        self.leads = LeadRepository(self.session)
        self.events = EventRepository(self.session)
        self.handoffs = HandoffRepository(self.session)
        self.outbox = OutboxRepository(self.session)
        self.digests = DigestRepository(self.session)
        self.pace = ChannelPaceRepository(self.session)
        self.notices = NoticeRepository(self.session)
        self.signals = SignalRepository(self.session)
        self.scorer = ScorerStateRepository(self.session)
        self.accounts = AccountRepository(self.session)
        self.replays = ReplayReads(self.session)
        self.quarantine = QuarantineRepository(self.session)
        self.assignments = AssignmentRepository(self.session)
        self.webhooks = WebhookOutbox(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        except SQLAlchemyError:
            # A Ctrl-C inside commit() can leave the session "committed", refusing a rollback: the
            # interruption, not that refusal, is what the caller must see.
            if exc is None:
                raise
        finally:
            self.session.close()

    def commit(self) -> None:
        """Make the work of this unit permanent."""
        if self.read_only:
            raise ReadOnlyWork("a read-only unit of work cannot commit")
        self.session.commit()

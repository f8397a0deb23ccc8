"""Accounts: the other leads at a lead's company (its email domain) and their recent engagement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scoring.types import Stage
from storage.tables import EventRow, LeadRow, table

_leads = table(LeadRow)
_events = table(EventRow)


@dataclass(frozen=True, slots=True)
class AccountPeer:
    """Another lead of the same account: who, where they stand, when they last engaged."""

    email: str
    name: str | None
    stage: Stage
    last_engaged_at: datetime


@dataclass(frozen=True, slots=True)
class AccountActivity:
    """The account's other leads who engaged in a window: the latest few, and how many in all."""

    domain: str
    peers: tuple[AccountPeer, ...]
    total: int


class AccountRepository:
    """Reads accounts inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def engaged(
        self, *, domain: str, excluding_lead_id: int, since: datetime, until: datetime, limit: int
    ) -> AccountActivity:
        """Leads at ``domain`` (but one) with an event between ``since`` and ``until``, latest first."""
        last = func.max(_events.c.occurred_at).label("last_engaged_at")
        engaged = (
            select(_leads.c.id, _leads.c.email, _leads.c.name, _leads.c.stage, last)
            .join(_events, _events.c.lead_id == _leads.c.id)
            .where(
                _leads.c.email_domain == domain.lower(),
                _leads.c.id != excluding_lead_id,
                _events.c.occurred_at >= since,
                _events.c.occurred_at <= until,
            )
            .group_by(_leads.c.id, _leads.c.email, _leads.c.name, _leads.c.stage)
        )
        latest = engaged.order_by(last.desc(), _leads.c.id).limit(limit)
        peers = tuple(
            AccountPeer(row.email, row.name, Stage(row.stage), row.last_engaged_at)
            for row in self._session.execute(latest)
        )
        total = len(peers)
        if total == limit:
            total = int(
                self._session.execute(select(func.count()).select_from(engaged.subquery())).scalar_one()
            )
        return AccountActivity(domain=domain.lower(), peers=peers, total=total)

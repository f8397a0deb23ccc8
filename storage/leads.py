"""Leads: the profile, the current score and stage, the engagement ledger, and the rest of the
lifecycle's state (``life``), all derived by the scorer from the event log."""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String, any_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from scoring.types import LeadProfile, Stage
from storage.bulk import insert_new, update_rows
from storage.lead_search import find_lead_ids, names_changed, reindex
from storage.sql import chunked, json_text
from storage.tables import LeadRow, table

PROFILE_FIELDS = ("name", "company", "title", "industry", "company_size", "country", "source", "campaign")
_NAME, _COMPANY = PROFILE_FIELDS.index("name"), PROFILE_FIELDS.index("company")
_leads = table(LeadRow)
_STATE_COLUMNS = (
    _leads.c.id,
    _leads.c.email,
    *(_leads.c[name] for name in PROFILE_FIELDS),
    _leads.c.stage,
    _leads.c.score,
    _leads.c.fit,
    _leads.c.engagement,
    _leads.c.disqualified,
    _leads.c.ledger,
    _leads.c.recycle_until,
    _leads.c.as_of,
    _leads.c.life,
    _leads.c.derived,
    _leads.c.next_due_at,
    _leads.c.first_source,
    _leads.c.first_campaign,
    _leads.c.version,
)
# Indexed columns are written only when they change: on SQLite an UPDATE that sets an indexed
# column rewrites its index entry even when the value is the same.
_INDEXED = ("stage", "recycle_until", "next_due_at", "derived")
# Columns that seldom change are written only when they do: most scorer passes fold engagement alone.
_SELDOM = (*PROFILE_FIELDS, "first_source", "first_campaign", "disqualified", "life")


@dataclass(slots=True)
class LeadState:
    """A lead as the services work on it: profile, stage, score and ledger."""

    id: int
    email: str
    stage: Stage
    ledger: dict[str, Any]
    profile_values: dict[str, Any] = field(default_factory=dict)
    score: float = 0.0
    fit: float = 0.0
    engagement: float = 0.0
    disqualified: bool = False
    recycle_until: datetime | None = None
    as_of: datetime | None = None
    life: dict[str, Any] = field(default_factory=dict)
    derived: bool = True
    next_due_at: datetime | None = None
    first_source: str | None = None
    first_campaign: str | None = None
    stored: tuple[Any, ...] = ()  # the indexed columns as stored
    stored_seldom: tuple[Any, ...] = ()  # the columns that seldom change (``_SELDOM``) as stored
    indexed_names: tuple[str | None, ...] = (None, None)  # (name, company) as the search terms have them
    version: int | None = None  # the stamp of the write this state is (see ``LeadRepository.save``)
    derived_from: Any = None  # the lifecycle state this was last written from, in memory only

    def indexed(self) -> tuple[Any, ...]:
        """The values of the indexed columns (``_INDEXED``) as they are now."""
        return (self.stage.value, self.recycle_until, self.next_due_at, self.derived)

    def seldom(self) -> tuple[Any, ...]:
        """The values of the columns that seldom change (``_SELDOM``) as they are now."""
        profile = map(self.profile_values.get, PROFILE_FIELDS)
        return (*profile, self.first_source, self.first_campaign, self.disqualified, self.life)

    @property
    def profile(self) -> LeadProfile:
        """The profile as the scoring engine sees it."""
        return LeadProfile(email=self.email, **self.profile_values)

    def merge_profile(self, values: dict[str, Any]) -> None:
        """Overwrite profile fields with the non-empty ``values`` given."""
        for name, value in values.items():
            if value is not None and value != "" and name in PROFILE_FIELDS:
                self.profile_values[name] = value


@dataclass(frozen=True)
class LeadSearch:
    """Leads found by a look-up, best score first; ``too_many`` when the words were not enough."""

    leads: list[LeadState]
    too_many: bool


def _state(row: Sequence[Any]) -> LeadState:
    lead_id, email, *profile, stage, score, fit, engagement, disqualified, ledger, recycle = row[:-7]
    as_of, life, derived, next_due_at, first_source, first_campaign, version = row[-7:]
    lead = LeadState(
        id=lead_id,
        email=email,
        stage=Stage(stage),
        ledger=ledger or {},
        profile_values={
            name: value for name, value in zip(PROFILE_FIELDS, profile, strict=True) if value is not None
        },
        score=score,
        fit=fit,
        engagement=engagement,
        disqualified=disqualified,
        recycle_until=recycle,
        as_of=as_of,
        life=life or {},
        derived=derived,
        next_due_at=next_due_at,
        first_source=first_source,
        first_campaign=first_campaign,
        indexed_names=(profile[_NAME], profile[_COMPANY]),
        version=version,
    )
    lead.stored = lead.indexed()
    lead.stored_seldom = (*profile, first_source, first_campaign, disqualified, life)
    return lead


class LeadRepository:
    """Reads and writes leads inside the caller's session; never commits."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def lock_by_emails(self, emails: Iterable[str]) -> dict[str, LeadState]:
        """Load leads by email, locking their rows (PostgreSQL) until the transaction ends."""
        found: dict[str, LeadState] = {}
        for batch in chunked(sorted(set(emails)), 500):
            query = select(*_STATE_COLUMNS).where(_leads.c.email.in_(batch)).order_by(_leads.c.id)
            for row in self._session.execute(query.with_for_update()).all():
                found[row.email] = _state(row)
        return found

    def lock_by_ids(self, lead_ids: Iterable[int]) -> dict[int, LeadState]:
        """Load leads by id, locking their rows (PostgreSQL) until the transaction ends."""
        return self.by_ids(lead_ids, lock=True)

    def by_ids(self, lead_ids: Iterable[int], *, lock: bool) -> dict[int, LeadState]:
        """Load leads by id; ``lock``: their rows locked (PostgreSQL) until the transaction ends."""
        found: dict[int, LeadState] = {}
        for query in self._by_ids(_STATE_COLUMNS, lead_ids, lock=lock):
            for row in self._session.execute(query):
                found[row.id] = _state(row)
        return found

    def lock_versions(self, lead_ids: Iterable[int]) -> dict[int, int | None]:
        """The version stamps of these leads, locking their rows (PostgreSQL) like ``lock_by_ids``."""
        return self.versions(lead_ids, lock=True)

    def versions(self, lead_ids: Iterable[int], *, lock: bool) -> dict[int, int | None]:
        """The version stamps of these leads; ``lock``: as ``by_ids``."""
        found: dict[int, int | None] = {}
        for query in self._by_ids([_leads.c.id, _leads.c.version], lead_ids, lock=lock):
            found.update((row[0], row[1]) for row in self._session.execute(query))
        return found

    def _by_ids(self, columns: Sequence[Any], lead_ids: Iterable[int], *, lock: bool) -> list[Any]:
        wanted = sorted(set(lead_ids))
        if self._postgres:
            # One array parameter: an IN list of hundreds of parameters is planned at every call.
            matches = _leads.c.id == any_(bindparam("ids", wanted, type_=ARRAY(Integer)))
            batches = [select(*columns).where(matches)]
        else:
            batches = [select(*columns).where(_leads.c.id.in_(batch)) for batch in chunked(wanted, 500)]
        ordered = [query.order_by(_leads.c.id) for query in batches]
        return [query.with_for_update() for query in ordered] if lock else ordered

    def ids_for(self, emails: Iterable[str]) -> dict[str, int]:
        """The ids of the leads with these emails (those that exist)."""
        wanted = sorted(set(emails))
        if self._postgres:
            # One array parameter: an IN list of hundreds of parameters is planned at every call.
            matches = _leads.c.email == any_(bindparam("emails", wanted, type_=ARRAY(String)))
            query = select(_leads.c.email, _leads.c.id).where(matches)
            return {row.email: row.id for row in self._session.execute(query)}
        # One JSON array parameter: no statement per 500 emails, nor a limit on how many.
        rows = self._session.connection().exec_driver_sql(
            "SELECT email, id FROM leads WHERE email IN (SELECT value FROM json_each(?))",
            (json_text(wanted),),
        )
        return {email: lead_id for email, lead_id in rows}  # noqa: C416 (rows, not pairs)

    def lock_due(self, *, now: datetime, after_id: int, limit: int) -> list[LeadState]:
        """The next ``limit`` leads by id after ``after_id`` that time alone may move by ``now``, locked."""
        query = (
            select(*_STATE_COLUMNS)
            .where(_leads.c.next_due_at <= now, _leads.c.id > after_id)
            .order_by(_leads.c.id)
            .limit(limit)
            .with_for_update()
        )
        return [_state(row) for row in self._session.execute(query)]

    def email_of(self, lead_id: int) -> str | None:
        """The email of the lead with this id, if there is one."""
        return self._session.execute(
            select(_leads.c.email).where(_leads.c.id == lead_id)
        ).scalar_one_or_none()

    def page(self, *, after_id: int, limit: int, lock: bool = False) -> list[LeadState]:
        """The next ``limit`` leads by id after ``after_id`` (a pass over every lead), locked when
        ``lock``."""
        query = select(*_STATE_COLUMNS).where(_leads.c.id > after_id).order_by(_leads.c.id).limit(limit)
        return [_state(row) for row in self._session.execute(query.with_for_update() if lock else query)]

    def create_missing(self, emails: Sequence[str], *, at: datetime) -> dict[str, int]:
        """Insert bare leads for emails not yet known; returns the ids of those this call created
        (one another process created meanwhile is left as it is, and not returned)."""
        bare = {
            "stage": Stage.LEAD.value,
            "score": 0.0,
            "fit": 0.0,
            "engagement": 0.0,
            "disqualified": False,
            "ledger": {},
            "derived": True,
            "created_at": at,
            "scored_at": at,
        }
        created = insert_new(
            self._session,
            _leads,
            shared=bare,
            varying=["email", "email_domain"],
            rows=[(email, email.rsplit("@", 1)[-1]) for email in emails],
            keys=["email"],
            returning=["email", "id"],
        )
        return {email: lead_id for email, lead_id in created}  # noqa: C416 (rows, not pairs)

    def save(self, leads: Sequence[LeadState], *, scored_at: datetime) -> None:
        """Write back what the lifecycle derived for ``leads``, each in one UPDATE; the columns that
        seldom change and the indexed ones only where they changed."""
        groups: dict[tuple[bool, bool], list[dict[str, Any]]] = defaultdict(list)
        version = secrets.randbits(62)
        for lead in leads:
            seldom, indexed = lead.seldom(), lead.indexed()
            lead.version = version
            row = {
                "id": lead.id,
                "version": version,
                "score": lead.score,
                "fit": lead.fit,
                "engagement": lead.engagement,
                "ledger": lead.ledger,
                "as_of": lead.as_of,
                "scored_at": scored_at,
            }
            if seldom != lead.stored_seldom:
                row.update(zip(_SELDOM, seldom, strict=True))
            if indexed != lead.stored:
                row.update(zip(_INDEXED, indexed, strict=True))
            groups[seldom != lead.stored_seldom, indexed != lead.stored].append(row)
            lead.stored, lead.stored_seldom = indexed, seldom
        for rows in groups.values():
            update_rows(self._session, _leads, rows)
        renamed = names_changed(leads)
        reindex(self._session, renamed)
        for lead in leads:
            if lead.id in renamed:
                lead.indexed_names = renamed[lead.id][1]

    @property
    def _postgres(self) -> bool:
        return self._session.get_bind().dialect.name == "postgresql"

    def mark_all_underived(self) -> int:
        """Have every lead re-derived from its events by the next scorer pass."""
        statement = update(_leads).values(derived=False, version=None)
        return int(self._session.execute(statement).rowcount)  # type: ignore[attr-defined]

    def get(self, lead_id: int) -> LeadState | None:
        """One lead by id."""
        row = self._session.execute(select(*_STATE_COLUMNS).where(_leads.c.id == lead_id)).first()
        return _state(row) if row else None

    def by_email(self, email: str) -> LeadState | None:
        """One lead by email (case-insensitive)."""
        query = select(*_STATE_COLUMNS).where(_leads.c.email == email.strip().lower())
        row = self._session.execute(query).first()
        return _state(row) if row else None

    def search(self, text: str, *, limit: int = 10) -> LeadSearch:
        """Leads whose email or domain is ``text``, or whose name or company words start with its words.

        Best score first; an exact email match alone; none when too many match.
        """
        found = find_lead_ids(self._session, text.strip().lower())
        if not found.ids:
            return LeadSearch([], too_many=found.too_many)
        query = (
            select(*_STATE_COLUMNS)
            .where(_leads.c.id.in_(sorted(found.ids)))
            .order_by(_leads.c.score.desc(), _leads.c.id)
            .limit(limit)
        )
        return LeadSearch([_state(row) for row in self._session.execute(query)], too_many=found.too_many)

    def count_by_stage(self) -> dict[str, int]:
        """How many leads are in each stage."""
        query = select(_leads.c.stage, func.count()).group_by(_leads.c.stage)
        return {key: count for key, count in self._session.execute(query).all()}  # noqa: C416 (Result has keys())

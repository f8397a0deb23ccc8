"""``/lead`` look-ups without scanning the leads table.

An exact email or email domain is found by its index; a name or company by the prefixes of its
words, kept normalised (accents dropped, case folded) in ``lead_search_terms``. Nothing here uses
LIKE, so ``%``, ``_`` and ``\\`` are ordinary characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, select, tuple_
from sqlalchemy.orm import Session, aliased

from storage.bulk import insert_ignoring_conflicts
from storage.sql import chunked
from storage.tables import LeadRow, LeadSearchTermRow, table

MAX_TERM_LENGTH = 64
MAX_WORDS = 6
CANDIDATE_LIMIT = 1000  # beyond this many matching leads, a look-up asks for more of the name
_WORD = re.compile(r"[^\W_]+")
Names = tuple[str | None, ...]  # (name, company)
_leads = table(LeadRow)
_terms = table(LeadSearchTermRow)


@dataclass(frozen=True)
class LeadIds:
    """Lead ids found for a look-up; none when more than CANDIDATE_LIMIT matched."""

    ids: set[int]
    too_many: bool


def words_of(text: str) -> list[str]:
    """The normalised words of ``text``: accents dropped, case folded, split at anything else."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return [word[:MAX_TERM_LENGTH] for word in _WORD.findall(bare)]


def terms_of(*texts: str | None) -> set[str]:
    """The search terms of a lead's name and company."""
    return {word for text in texts if text for word in words_of(text)}


def reindex(session: Session, changes: dict[int, tuple[Names, Names]]) -> None:
    """Bring the terms of leads whose names changed up to date: ``{lead_id: (indexed, current)}``.

    Only the terms that differ are written: a new lead's are inserted, nothing is deleted.
    """
    gone, added = [], []
    for lead_id, (indexed, current) in changes.items():
        before, after = terms_of(*indexed), terms_of(*current)
        gone += [(lead_id, term) for term in before - after]
        added += [{"term": term, "lead_id": lead_id} for term in after - before]
    for batch in chunked(gone, 500):
        session.execute(delete(_terms).where(tuple_(_terms.c.lead_id, _terms.c.term).in_(batch)))
    insert_ignoring_conflicts(session, _terms, added, ["term", "lead_id"])


def find_lead_ids(session: Session, needle: str) -> LeadIds:
    """The lead whose email is ``needle``; else those whose email domain is ``needle`` or whose name or
    company has words starting with each of its words (an email-like ``needle`` has no such words)."""
    email = session.execute(select(_leads.c.id).where(_leads.c.email == needle)).scalars().all()
    if email or "@" in needle:
        return LeadIds(set(email), too_many=False)
    by_domain = _limited(session, select(_leads.c.id).where(_leads.c.email_domain == needle))
    words = sorted(set(words_of(needle)), key=len, reverse=True)[:MAX_WORDS]
    by_words = _limited(session, _word_query(words)) if words else []
    if max(len(by_domain), len(by_words)) > CANDIDATE_LIMIT:
        return LeadIds(set(), too_many=True)
    return LeadIds({*by_domain, *by_words}, too_many=False)


def _limited(session: Session, query: Any) -> Sequence[int]:
    return session.execute(query.limit(CANDIDATE_LIMIT + 1)).scalars().all()


def _word_query(words: list[str]) -> Any:
    # The longest word drives the index range scan; each other word must start a term of the same lead.
    first, *others = words
    conditions = [_prefix(_terms.c.term, first)]
    for word in others:
        other = aliased(_terms)
        conditions.append(exists().where(other.c.lead_id == _terms.c.lead_id, _prefix(other.c.term, word)))
    return select(_terms.c.lead_id).where(*conditions).distinct()


def _prefix(column: ColumnElement[str], word: str) -> ColumnElement[bool]:
    """``column`` starts with ``word``: a range, which a byte-ordered index answers directly."""
    upper = _next_string(word)
    if upper is None:
        return column >= word
    return and_(column >= word, column < upper)


def _next_string(word: str) -> str | None:
    """The first string after every string that starts with ``word``, in code point order."""
    stripped = word.rstrip(chr(0x10FFFF))
    if not stripped:
        return None
    last = ord(stripped[-1]) + 1
    if 0xD800 <= last <= 0xDFFF:  # no surrogates in UTF-8 text: skip past them
        last = 0xE000
    return stripped[:-1] + chr(last)


def names_changed(leads: Iterable[Any]) -> dict[int, tuple[Names, Names]]:
    """``{lead_id: (indexed, current)}`` (name, company) of leads whose names differ from their terms'."""
    changed: dict[int, tuple[Names, Names]] = {}
    for lead in leads:
        current = (lead.profile_values.get("name"), lead.profile_values.get("company"))
        if current != lead.indexed_names:
            changed[lead.id] = (lead.indexed_names, current)
    return changed

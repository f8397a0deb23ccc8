"""Account owners from the CRM: email domain → Slack user, imported from a CSV file or the HTTP API.
A route with ``account_owner: true`` gives a lead of that domain to its owner (never for a free-mail
domain: those are people, not accounts)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from scoring import ScoringModel
from storage.uow import UnitOfWork

_DOMAIN = re.compile(r"(?=.{3,255}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")
_USER = re.compile(r"[UW][A-Z0-9]{2,20}")
COLUMNS = ("domain", "owner")


@dataclass(frozen=True)
class OwnerRows:
    """The (domain, owner) pairs that can be stored, and one sentence per row that cannot."""

    owners: list[tuple[str, str]]
    problems: list[str]


def check_owners(rows: Iterable[tuple[str, Mapping[str, object]]], *, model: ScoringModel) -> OwnerRows:
    """Check ``(where, row)`` pairs: a domain (not a free-mail one) and a Slack user id each."""
    owners: dict[str, str] = {}
    problems = []
    for where, row in rows:
        domain = str(row.get("domain") or "").strip().lower().removeprefix("@")
        owner = str(row.get("owner") or "").strip()
        if not _DOMAIN.fullmatch(domain):
            problems.append(
                f"{where}: {domain or 'an empty domain'!r} is not an email domain such as acme.io"
            )
        elif domain in model.free_mail_domains:
            problems.append(f"{where}: {domain} is a free-mail domain: its leads are people, not an account")
        elif not _USER.fullmatch(owner):
            problems.append(f"{where}: the owner must be a Slack user id such as U0123ABCD, not {owner!r}")
        else:
            owners[domain] = owner
    return OwnerRows(sorted(owners.items()), problems)


def owner_csv_rows(text: str) -> list[tuple[str, Mapping[str, object]]]:
    """The rows of a CSV file with a ``domain,owner`` header, each with its line number."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"the CSV file needs a header with the columns {', '.join(COLUMNS)}")
    return [(f"line {reader.line_num}", row) for row in reader]


def store_owners(*, uow: UnitOfWork, owners: list[tuple[str, str]], now: datetime) -> int:
    """Store the owners (a domain's new owner replaces its old one); returns how many accounts have one."""
    with uow:
        uow.assignments.put_owners(owners, now=now)
        uow.commit()
        return uow.assignments.count_owners()

"""``/lead`` look-ups in storage: exact email and domain, name and company words by prefix."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from bot.runtime import Runtime
from storage import lead_search
from storage.database import make_engine
from storage.migrate import alembic_config, upgrade
from tests.builders import event, parsed


def add_lead(runtime: Runtime, email: str, *, name: str | None = None, company: str | None = None) -> None:
    profile = {key: value for key, value in (("name", name), ("company", company)) if value}
    runtime.ingest(parsed(event(email, lead=profile or None)))


def found(runtime: Runtime, query: str) -> list[str]:
    with runtime.read_uow() as uow:
        return sorted(lead.email for lead in uow.leads.search(query).leads)


def test_any_word_of_a_name_or_company_finds_the_lead_by_its_start(runtime: Runtime) -> None:
    add_lead(runtime, "ana@acme.io", name="Ana Ruiz", company="Acme Widgets")
    add_lead(runtime, "jose@globex.com", name="José Núñez-Peña", company="Globex")

    assert found(runtime, "ruiz") == ["ana@acme.io"]
    assert found(runtime, "Ana ru") == ["ana@acme.io"]
    assert found(runtime, "widg") == ["ana@acme.io"]
    assert found(runtime, "jose nunez") == ["jose@globex.com"]
    assert found(runtime, "PEÑA") == ["jose@globex.com"]
    assert found(runtime, "ana globex") == []


def test_an_exact_email_or_domain_is_found_but_not_a_part_of_one(runtime: Runtime) -> None:
    add_lead(runtime, "ana@acme.io", name="Ana Ruiz")
    add_lead(runtime, "ben@acme.io")

    assert found(runtime, "ANA@acme.io ") == ["ana@acme.io"]
    assert found(runtime, "acme.io") == ["ana@acme.io", "ben@acme.io"]
    assert found(runtime, "acme.i") == []
    assert found(runtime, "ana@acme") == []


@pytest.mark.parametrize("query", ["%", "_", "\\", "%ruiz", "a_a", "%%", "\\%"])
def test_like_wildcards_are_ordinary_characters(runtime: Runtime, query: str) -> None:
    add_lead(runtime, "ana@acme.io", name="Ana Ruiz", company="A_A 100%")

    assert found(runtime, query) == (["ana@acme.io"] if query in ("%ruiz", "a_a") else [])


def test_a_renamed_lead_is_found_by_its_new_name_only(runtime: Runtime) -> None:
    add_lead(runtime, "ana@acme.io", name="Ana Ruiz")
    add_lead(runtime, "ana@acme.io", name="Ana Torres")

    assert found(runtime, "torres") == ["ana@acme.io"]
    assert found(runtime, "ruiz") == []


def test_too_many_matches_return_only_an_exact_email(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lead_search, "CANDIDATE_LIMIT", 3)
    for number in range(4):
        add_lead(runtime, f"rep{number}@acme.io", name=f"Ana Rep{number}")

    with runtime.read_uow() as uow:
        by_name, by_domain = uow.leads.search("ana"), uow.leads.search("acme.io")
    with runtime.read_uow() as uow:
        exact = uow.leads.search("rep1@acme.io")

    assert (by_name.too_many, by_name.leads) == (True, [])
    assert (by_domain.too_many, by_domain.leads) == (True, [])
    assert [lead.email for lead in exact.leads] == ["rep1@acme.io"]


def test_leads_stored_before_the_upgrade_are_found_by_name(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        config = alembic_config(database_url)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0003")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO leads (email, email_domain, name, company, stage, score, fit, engagement, "
                    "disqualified, ledger, created_at, scored_at) VALUES ('ana@acme.io', 'acme.io', "
                    "'Ana Ruiz', 'Acme', 'lead', 0, 0, 0, false, '{}', '2026-11-20 10:00:00', "
                    "'2026-11-20 10:00:00')"
                )
            )
        upgrade(engine)
        with engine.connect() as connection:
            terms = (
                connection.execute(text("SELECT term FROM lead_search_terms ORDER BY term")).scalars().all()
            )
    finally:
        engine.dispose()

    assert terms == ["acme", "ana", "ruiz"]

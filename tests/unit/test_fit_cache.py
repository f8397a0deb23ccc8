"""The fit memo: keyed by every field a fit rule can read, so a cached result is never stale."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.model_source import load_scoring_model
from scoring import LeadProfile, fit_contributions
from scoring.conditions import PROFILE_FIELDS

BASE = LeadProfile(
    email="ana@acme.io",
    title="Analyst",
    company="Acme",
    industry="Media",
    company_size=10,
    country="US",
    source="ads",
    campaign="q4",
)
CHANGED = {
    "email_domain": None,
    "title": "CEO",
    "company": "Globex",
    "industry": "Software",
    "company_size": 5000,
    "country": "DE",
    "source": "webinar",
    "campaign": "q1",
    "attributes": (("plan", "team"),),
}


@pytest.mark.parametrize("field_name", [*PROFILE_FIELDS, "attributes"])
def test_every_field_a_fit_rule_reads_is_part_of_the_cache_key(field_name: str) -> None:
    changed = (
        replace(BASE, email="ana@gmail.com")
        if field_name == "email_domain"
        else replace(BASE, **{field_name: CHANGED[field_name]})
    )

    assert changed.fit_key() != BASE.fit_key()


def test_cached_fit_follows_a_profile_change() -> None:
    model = load_scoring_model(None)
    analyst = fit_contributions(model, BASE)

    chief = fit_contributions(model, replace(BASE, title="Chief Executive Officer"))

    assert "seniority_c_level" not in {c.rule_id for c in analyst}
    assert "seniority_c_level" in {c.rule_id for c in chief}
    assert fit_contributions(model, BASE) == analyst

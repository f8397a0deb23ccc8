"""Generated sample events: realistic leads and engagement, reproducible from a seed.

Used by ``handoff demo`` and by the benchmarks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

_FIRST = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]
_LAST = ["Ruiz", "Okafor", "Lindqvist", "Tanaka", "Novak", "Haddad", "Murphy", "Silva", "Kowalski"]
_TITLES = [
    "VP Sales",
    "Head of Growth",
    "Marketing Manager",
    "CEO",
    "Director of Operations",
    "Software Engineer",
    "Student",
    "Founder",
    "Sales Lead",
    "Analyst",
    "CTO",
    "Intern",
]
_INDUSTRIES = ["Software", "Fintech", "Retail", "Healthcare", "Education", "Manufacturing", "Media"]
_SIZES = [3, 12, 45, 120, 250, 800, 2500, 12000]
_COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark", "Wayne", "Tyrell"]
_SOURCES = [
    ("webinar", "q4-launch"),
    ("ads", "brand-search"),
    ("organic", None),
    ("event", "saastr"),
    ("partner", "agency-co"),
    ("email", "nurture-7"),
]
# (type, weight, properties)
_ENGAGEMENT: list[tuple[str, int, dict[str, Any]]] = [
    ("page_view", 30, {"url": "/blog/scoring-leads"}),
    ("page_view", 8, {"url": "/pricing"}),
    ("page_view", 4, {"url": "/demo"}),
    ("page_view", 2, {"url": "/careers"}),
    ("email_open", 20, {}),
    ("email_click", 8, {}),
    ("content_download", 6, {"asset": "state-of-revops.pdf"}),
    ("newsletter_signup", 2, {}),
    ("webinar_registered", 3, {}),
    ("webinar_attended", 2, {}),
    ("form_submit", 2, {}),
    ("trial_signup", 1, {}),
    ("product_active", 4, {}),
    ("demo_request", 1, {"url": "/demo"}),
    ("contact_sales", 1, {}),
    ("unsubscribe", 1, {}),
]


def generate_events(
    *, leads: int, events: int, now: datetime, seed: int = 7, days: int = 60
) -> Iterator[dict[str, Any]]:
    """``events`` events (as dicts in the public event shape) spread over ``leads`` leads."""
    rng = random.Random(seed)
    types, weights = [entry[:1] + entry[2:] for entry in _ENGAGEMENT], [entry[1] for entry in _ENGAGEMENT]
    for number in range(events):
        lead = rng.randrange(leads)
        kind, properties = rng.choices(types, weights)[0]
        occurred = now - timedelta(seconds=rng.randrange(days * 86_400))
        event: dict[str, Any] = {
            "event_id": f"evt-{seed}-{number}",
            "email": _email(lead),
            "type": kind,
            "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
            "properties": dict(properties),
        }
        if rng.random() < 0.3:
            event["lead"] = profile(lead)
        yield event


def profile(lead: int) -> dict[str, Any]:
    """The profile of sample lead number ``lead`` (always the same for the same number)."""
    rng = random.Random(lead)
    source, campaign = rng.choice(_SOURCES)
    return {
        "name": f"{rng.choice(_FIRST)} {rng.choice(_LAST)}",
        "company": f"{rng.choice(_COMPANIES)} {lead % 97}",
        "title": rng.choice(_TITLES),
        "industry": rng.choice(_INDUSTRIES),
        "company_size": rng.choice(_SIZES),
        "country": rng.choice(["US", "GB", "DE", "ES", "BR", "JP"]),
        "source": source,
        "campaign": campaign,
    }


def _email(lead: int) -> str:
    domain = "gmail.com" if lead % 11 == 0 else f"company{lead % 5000}.example"
    return f"lead{lead}@{domain}"

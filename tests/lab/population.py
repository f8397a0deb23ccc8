"""A synthetic population whose conversion depends on a plan attribute, a missing job title and
minutes in the product (the model lab's acceptance test, and nothing else)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

TRUE_WEIGHTS = {"pro": 1.6, "no_title": 1.3, "log_minutes": 0.55}
INTERCEPT = -4.0


@dataclass(frozen=True)
class Person:
    """One lead of the population: what decides its fate, and whether it converted."""

    email: str
    pro: bool
    no_title: bool
    minutes: int
    converted: bool

    def features(self) -> list[float]:
        """The true features, as a direct logistic regression sees them."""
        return [float(self.pro), float(self.no_title), math.log2(1 + self.minutes)]


def population(size: int, *, seed: int = 5) -> list[Person]:
    rng = random.Random(seed)
    people = []
    for number in range(size):
        pro, no_title = rng.random() < 0.3, rng.random() < 0.4
        minutes = sum(rng.randint(1, 60) for _ in range(rng.randint(0, 6)))
        logit = INTERCEPT + TRUE_WEIGHTS["pro"] * pro + TRUE_WEIGHTS["no_title"] * no_title
        logit += TRUE_WEIGHTS["log_minutes"] * math.log2(1 + minutes)
        converted = rng.random() < 1 / (1 + math.exp(-logit))
        people.append(Person(f"p{number}@corp{number % 50}.example.com", pro, no_title, minutes, converted))
    return people


def events(people: list[Person], *, now: datetime, seed: int = 6) -> list[dict[str, Any]]:
    """Each person's sessions (minutes split between them) and page views over the last 30 days,
    then a won or lost deal after all of them."""
    rng = random.Random(seed)
    items: list[dict[str, Any]] = []
    for index, person in enumerate(people):
        start = now - timedelta(days=30)
        lead: dict[str, Any] = {"attributes": {"plan": "pro" if person.pro else "free"}, "company_size": 40}
        if not person.no_title:
            lead["title"] = rng.choice(["Engineer", "Analyst", "Office Manager"])
        items.append(_event(f"v{index}", person, "page_view", start, {"url": "/blog"}, lead))
        for part, minutes in enumerate(_split(person.minutes, rng)):
            at = start + timedelta(hours=6 * part + rng.randint(1, 5))
            items.append(_event(f"s{index}-{part}", person, "session", at, {"minutes": minutes}, None))
        outcome = "closed_won" if person.converted else "closed_lost"
        items.append(_event(f"o{index}", person, outcome, now - timedelta(days=1), {}, None))
    return items


def _split(total: int, rng: random.Random) -> list[int]:
    parts = []
    while total > 0:
        part = min(total, rng.randint(5, 60))
        parts.append(part)
        total -= part
    return parts


def _event(
    event_id: str,
    person: Person,
    kind: str,
    at: datetime,
    properties: dict[str, Any],
    lead: dict[str, Any] | None,
) -> dict[str, Any]:
    item = {
        "event_id": event_id,
        "email": person.email,
        "type": kind,
        "occurred_at": at.isoformat(),
        "properties": properties,
    }
    return item | ({"lead": lead} if lead else {})

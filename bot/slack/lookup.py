"""``/lead``: find leads by email, domain or name, and answer with the score card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.runtime import Runtime
from bot.services.card_events import card_events
from bot.services.cards import card_view
from bot.services.leads import lead_report
from bot.slack import blocks
from bot.slack.blocks_history import lead_history_blocks
from bot.slack.blocks_parts import fit_blocks
from bot.slack.text import value
from scoring.types import HandoffStatus
from storage.lead_search import CANDIDATE_LIMIT, MAX_WORDS, words_of

MAX_QUERY_LENGTH = 200

Answer = tuple[str, list[dict[str, Any]]]


def lead_lookup_answer(*, runtime: Runtime, query: str, now: datetime) -> Answer:
    """The private answer to ``/lead QUERY``: help, no match, a list of matches, or one lead's card."""
    query = query.strip()
    if not query:
        return blocks.lead_help(), []
    if len(query) > MAX_QUERY_LENGTH or ("@" not in query and len(words_of(query)) > MAX_WORDS):
        return query_too_long(), []
    with runtime.read_uow() as uow:
        found = uow.leads.search(query, limit=11)
    if found.too_many:
        return too_many_leads(query), []
    exact = [lead for lead in found.leads if lead.email == query.lower()]
    if not found.leads:
        return blocks.no_lead_found(query), []
    if len(found.leads) > 1 and not exact:
        return blocks.several_leads_found(query=query, leads=found.leads[:10]), []
    return _lead_answer(runtime=runtime, email=(exact or found.leads)[0].email, query=query, now=now)


def _lead_answer(*, runtime: Runtime, email: str, query: str, now: datetime) -> Answer:
    report = lead_report(uow=runtime.read_uow(), email=email, model=runtime.model, now=now)
    if report is None:
        return blocks.no_lead_found(query), []
    history = lead_history_blocks(
        stage_changes=report.stage_changes, handoffs=report.handoffs, signals=report.signals
    )
    text = f"{email}: {report.lead.stage.value.upper()}, score {report.score.total:g}"
    carded = [handoff for handoff in report.handoffs if handoff.status != HandoffStatus.HISTORY]
    if carded:
        with runtime.read_uow() as uow:
            view = card_view(
                uow=uow,
                handoff=carded[-1],
                model=runtime.model,
                now=now,
                show_personal=runtime.settings.card_show_personal,
            )
        if view is not None:
            return text, fit_blocks([*blocks.lead_lookup_blocks(view=view, now=now), *history])
    summary = blocks.lead_summary(
        email=email,
        profile=report.lead.profile,
        stage=report.lead.stage,
        score=report.score,
        timeline=card_events(
            report.recent_events, model=runtime.model, show_personal=runtime.settings.card_show_personal
        ),
        now=now,
    )
    return text, fit_blocks([*summary, *history])


def query_too_long() -> str:
    """The answer to a look-up longer than a name, an email or a domain can be."""
    return (
        f"That search is too long: use an email, a company domain or up to {MAX_WORDS} words of a name "
        f"(at most {MAX_QUERY_LENGTH} characters)."
    )


def too_many_leads(query: str) -> str:
    """The answer when a domain or a name prefix matches too many leads to rank."""
    return (
        f"More than {CANDIDATE_LIMIT:,} leads match “{value(query, 100)}”: "
        "type more of the name, or look one up by its email."
    )

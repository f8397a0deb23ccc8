"""``/lead``: find leads by email, domain or name, and answer with the score card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.runtime import Runtime
from bot.services.cards import card_view
from bot.services.leads import lead_report
from bot.slack import blocks


def lead_lookup_answer(*, runtime: Runtime, query: str, now: datetime) -> tuple[str, list[dict[str, Any]]]:
    """The private answer to ``/lead QUERY``: help, no match, a list of matches, or one lead's card."""
    query = query.strip()
    if not query:
        return blocks.lead_help(), []
    with runtime.uow() as uow:
        matches = uow.leads.search(query, limit=11)
    if not matches:
        return blocks.no_lead_found(query), []
    exact = [lead for lead in matches if lead.email == query.lower()]
    if len(matches) > 1 and not exact:
        return blocks.several_leads_found(query=query, leads=matches[:10]), []
    email = (exact or matches)[0].email
    report = lead_report(uow=runtime.uow(), email=email, model=runtime.model, now=now)
    if report is None:
        return blocks.no_lead_found(query), []
    if report.handoffs:
        with runtime.uow() as uow:
            view = card_view(uow=uow, handoff=report.handoffs[-1], model=runtime.model, now=now)
        if view is not None:
            return f"{email}: score {report.score.total:g}", blocks.lead_lookup_blocks(view=view, now=now)
    summary = blocks.lead_summary(
        email=email,
        profile=report.lead.profile,
        stage=report.lead.stage,
        score=report.score,
        timeline=report.recent_events,
        now=now,
    )
    return f"{email}: score {report.score.total:g}", summary

"""``handoff demo``: generated leads through the real ingestion path into a throw-away database."""

from __future__ import annotations

import csv
import json
import tempfile
from contextlib import nullcontext
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from bot import clock
from bot.entrypoints.demo_html import PICTURES_AT, PICTURES_SETTINGS, Played, demo_page
from bot.runtime import Runtime, build_runtime, utcnow
from bot.services.cards import card_view
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.digest import compute_digest, monday_of
from bot.services.event_input import parse_objects
from bot.services.ingest import IngestResult
from bot.services.leads import lead_report
from bot.settings import load_settings
from bot.slack.blocks import handoff_card
from bot.terminal import render
from bot.terminal.render_digest import print_digest
from bot.terminal.sample import generate_events
from bot.terminal.sample_outcomes import sample_outcomes
from scoring import Decision
from storage.tables import LeadRow


def run_demo(
    console: Console,
    *,
    leads: int,
    events: int,
    save_events: Path | None = None,
    save_outcomes: Path | None = None,
    html: Path | None = None,
    at: datetime | None = None,
) -> None:
    """Ingest a generated sample, then show the leaderboard and explain one SQL; ``html`` also draws the
    card, modal, App Home and digest as a page, at ``at`` (a fixed instant unless given)."""
    at = at or (PICTURES_AT if html is not None else None)
    overrides = PICTURES_SETTINGS if html is not None else {}
    with clock.frozen_at(at) if at is not None else nullcontext():
        now = utcnow()  # the saved events are the very events the demo ingests
        if save_events is not None:
            _save_events(console, save_events, leads=leads, events=events, now=now)
        if save_outcomes is not None:
            _save_outcomes(console, save_outcomes, leads=leads, events=events, now=now)
        with tempfile.TemporaryDirectory(prefix="handoff-demo-") as folder:
            url = f"sqlite:///{Path(folder) / 'demo.db'}"
            rt = build_runtime(load_settings(database_url=url, sales_channel="C0DEMO0001", **overrides))
            try:
                _run(console, rt, leads=leads, events=events, now=now, html=html)
            finally:
                rt.close()


def _save_outcomes(console: Console, path: Path, *, leads: int, events: int, now: datetime) -> None:
    rows = sample_outcomes(generate_events(leads=leads, events=events, now=now), now=now)
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=["email", "outcome", "occurred_at", "amount", "currency"])
        writer.writeheader()
        writer.writerows(rows)
    console.print(
        f"Wrote {len(rows):,} outcomes to {path}: try `handoff ingest {path}`, then `handoff backtest`."
    )


def _save_events(console: Console, path: Path, *, leads: int, events: int, now: datetime) -> None:
    with path.open("w", encoding="utf-8") as out:
        for item in generate_events(leads=leads, events=events, now=now):
            out.write(json.dumps(item) + "\n")
    console.print(f"Wrote {events:,} events to {path}: try `handoff ingest {path}`.")


def _run(console: Console, rt: Runtime, *, leads: int, events: int, now: datetime, html: Path | None) -> None:
    console.rule("[bold]Handoff demo")
    console.print(f"Generating {events:,} engagement events for {leads:,} leads and ingesting them…")
    items = parse_objects(generate_events(leads=leads, events=events, now=now))
    total = IngestResult()
    while batch := list(islice(items, 1000)):
        total.add(rt.append(batch))
    rt.drain(until=total.last_event_id)
    total.stage_changes, total.scored = rt.stage_changes_since(total.lead_ids, now), True
    total.below_fit = rt.below_fit_since(total.lead_ids, now)
    render.ingest_summary(console, total)
    console.print("\nThe same events once more (idempotent by event_id):")
    replay = IngestResult()
    items = parse_objects(generate_events(leads=leads, events=events, now=now))
    while batch := list(islice(items, 1000)):
        replay.add(rt.ingest(batch))
    console.print(
        f"  accepted {replay.accepted}, duplicates {replay.duplicates}, stage changes "
        f"{sum(replay.stage_changes.values())}"
    )
    _leaderboard(console, rt)
    with rt.read_uow() as uow:
        first = next(iter(uow.handoffs.open_for_home(limit=1)), None)
        email = lead.email if first and (lead := uow.leads.get(first.lead_id)) else None
    if email is not None:
        report = lead_report(uow=rt.read_uow(), email=email, model=rt.model, now=utcnow())
        if report is not None:
            console.print("\nThe first SQL, explained:")
            console.print(render.lead_panel(report, now=utcnow()))
    with rt.uow() as uow:
        queued = uow.outbox.count_by_status().get("pending", 0)
    console.print(f"\n{queued} handoff cards are queued in the outbox for the sales channel, e.g.:")
    played = _decide_some(console, rt)
    console.print()
    monday = monday_of(utcnow().date())
    digest = compute_digest(uow=rt.uow(), week_of=monday, zone=rt.settings.zone, model=rt.model, now=utcnow())
    print_digest(console, digest, week_label=f"week of {monday} (so far)")
    if html is not None:
        page = demo_page(rt=rt, played=played, report=digest, monday=monday, now=utcnow())
        html.write_text(page, encoding="utf-8")
        console.print(
            f"\nWrote the card, the reject modal, the App Home and the digest as drawn by Slack to {html}."
        )
    console.print("\nNext: `handoff serve` with a Slack app (see README) posts these cards and the digest.")


def _decide_some(console: Console, rt: Runtime) -> list[Played]:
    """Play three reps: accept, reject and recycle the first three open handoffs."""
    plays = [
        (Decision.ACCEPT, None, None, None),
        (Decision.REJECT, "no_fit", "Agency reselling to a client we already serve.", None),
        (Decision.RECYCLE, "bad_timing", None, utcnow() + timedelta(days=90)),
    ]
    played = []
    with rt.uow() as uow:
        handoffs = uow.handoffs.open_for_home(limit=len(plays))
    for handoff, (action, reason, note, until) in zip(handoffs, plays, strict=False):
        with rt.uow() as uow:
            view = card_view(
                uow=uow,
                handoff=handoff,
                model=rt.model,
                now=utcnow(),
                show_personal=rt.settings.card_show_personal,
            )
        if view is None:
            continue
        card = handoff_card(view, now=utcnow())
        console.print(f"  🃏 {card.text}", highlight=False)
        played.append(Played(handoff.id, action, card))
        request = DecisionRequest(
            handoff.id, action, "UDEMOREP", reason=reason, note=note, recycle_until=until
        )
        record_decision(uow=rt.uow(), request=request, model=rt.model, policy=rt.policy, now=utcnow())
        console.print(f"     → {action.value}" + (f" ({reason})" if reason else ""), highlight=False)
    return played


def _leaderboard(console: Console, rt: Runtime) -> None:
    with rt.uow() as uow:
        stages = uow.leads.count_by_stage()
        top = uow.session.execute(
            select(
                LeadRow.email, LeadRow.title, LeadRow.stage, LeadRow.score, LeadRow.fit, LeadRow.engagement
            )
            .order_by(LeadRow.score.desc())
            .limit(10)
        ).all()
    console.print(
        "\nLeads by stage: " + ", ".join(f"{stage} {count}" for stage, count in sorted(stages.items()))
    )
    table = Table(title="Top 10 leads by score", title_justify="left")
    for column in ("email", "title", "stage", "score", "fit", "engagement"):
        table.add_column(column)
    for row in top:
        table.add_row(
            row.email, row.title or "—", row.stage, f"{row.score:g}", f"{row.fit:g}", f"{row.engagement:g}"
        )
    console.print(table)

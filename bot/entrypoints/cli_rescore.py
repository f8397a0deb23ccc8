"""``handoff rescore``: every lead re-derived under a model, or the moves it would make."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.entrypoints.cli_runtime import fail, model_or_fail, runtime
from bot.runtime import utcnow
from bot.services.rescore import Rescored, RescorePass, ScorerBusy, rescore_all
from scoring import ScoringModel

console = Console()
_SHOWN_LEADS = 20


def rescore(
    every: Annotated[
        bool, typer.Option("--all", help="every lead (required: the whole database changes)")
    ] = False,
    model: Annotated[Path | None, typer.Option(help="model file (default: HANDOFF_SCORING_MODEL)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the stage moves, change nothing")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the result as JSON")] = False,
) -> None:
    """Re-derive every lead's score, stage and history from its stored events under a model."""
    if not every:
        fail("say --all: a rescore re-derives every lead (add --dry-run to see the moves first)")
    with runtime() as rt:
        chosen = model_or_fail(rt, model)
        job = RescorePass(
            uow_factory=rt.uow,
            model=chosen,
            policy=rt.policy,
            holder=rt.holder,
            lease=timedelta(seconds=rt.settings.scorer_lease_seconds),
            dry_run=dry_run,
        )
        try:
            done = rescore_all(job, now=utcnow)
        except ScorerBusy as exc:
            fail(str(exc))
    if as_json:
        console.print_json(json.dumps(_as_dict(done, chosen, dry_run=dry_run)))
        return
    _print(done, chosen, dry_run=dry_run)
    if model is not None and chosen.fingerprint != rt.model.fingerprint:
        live, path = escape(rt.model.label), escape(str(model))
        console.print(
            f"note: the live model is still {live}; set HANDOFF_SCORING_MODEL={path}, or the next"
            " scorer to start re-derives every lead under the live one again"
        )


def _as_dict(done: Rescored, model: ScoringModel, *, dry_run: bool) -> dict[str, object]:
    return {
        "model": model.label,
        "dry_run": dry_run,
        "leads": done.leads,
        "moves": [{"from": was, "to": now, "leads": count} for (was, now), count in done.moves.most_common()],
        "moved": [{"email": email, "from": was, "to": now} for email, was, now in done.moved],
        "new_cards": len(done.new_cards),
    }


def _print(done: Rescored, model: ScoringModel, *, dry_run: bool) -> None:
    verb = "would move" if dry_run else "moved"
    moved = sum(done.moves.values())
    console.print(f"{done.leads:,} leads under {escape(model.label)}: {verb} {moved:,}")
    for (was, now), count in done.moves.most_common():
        console.print(f"  {was} → {now}: {count:,}")
    for email, was, now in done.moved[:_SHOWN_LEADS]:
        console.print(f"    {escape(email)}: {was} → {now}")
    if len(done.moved) > _SHOWN_LEADS:
        console.print(f"    … and {len(done.moved) - _SHOWN_LEADS:,} more")
    cards = len(done.new_cards)
    console.print(f"{'would queue' if dry_run else 'queued'} {cards:,} new card{'s' if cards != 1 else ''}")
    if dry_run:
        console.print("dry run: nothing was changed")

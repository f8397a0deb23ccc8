"""The model lab's commands: ``handoff backtest``, ``handoff model fit`` and ``handoff rescore``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.entrypoints.cli_runtime import errors, fail, runtime
from bot.model_source import load_scoring_model
from bot.runtime import Runtime, utcnow
from bot.services.backtest import BacktestSpec, Label, replay_all
from bot.services.backtest_chart import backtest_chart
from bot.services.backtest_report import backtest_report
from bot.services.rescore import Rescored, RescorePass, ScorerBusy, rescore_all
from bot.terminal.render_backtest import print_backtest
from scoring import ModelError, ScoringModel, parse_model
from scoring.evaluation import roc_auc
from scoring.fit import FitError, FitSettings, Learnt, learn
from scoring.fit_yaml import fitted_yaml

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
        chosen = _model(rt, model)
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


def backtest(
    model: Annotated[Path | None, typer.Option(help="model file (default: the live model)")] = None,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="only samples scored from this day on")
    ] = None,
    label: Annotated[Label, typer.Option(help="what counts as converted: outcome or decision")] = "outcome",
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
    chart: Annotated[Path | None, typer.Option(help="also write the lift and band chart to this PNG")] = None,
) -> None:
    """Replay every lead's stored events under a model in memory (nothing changes) and report how
    well its scores ranked what became of the leads."""
    if chart is not None and not chart.parent.is_dir():
        fail(f"cannot write {chart}: {chart.parent} is not a folder")
    with runtime() as rt:
        chosen = _model(rt, model)
        live = rt.model if chosen.fingerprint != rt.model.fingerprint else None
        start = since.replace(tzinfo=UTC) if since is not None else None
        spec = BacktestSpec(model=chosen, live=live, label=label, since=start, now=utcnow())
        report = backtest_report(replay_all(read_uow=rt.read_uow, spec=spec), spec)
    if chart is not None:
        chart.write_bytes(backtest_chart(report))
    if as_json:
        console.print_json(json.dumps(report.as_dict()))
    else:
        print_backtest(console, report)
        if chart is not None:
            console.print(f"chart written to {escape(str(chart))}")


model_app = typer.Typer(help="Scoring model commands.", no_args_is_help=True)


@model_app.command("fit")
def model_fit(
    outcomes: Annotated[
        bool, typer.Option("--outcomes", help="learn from the stored outcomes (required)")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="write the fitted model here (default: print it)")] = None,
    sql_p: Annotated[
        float, typer.Option(min=0.01, max=0.99, help="probability the SQL threshold stands for")
    ] = 0.8,
    mql_p: Annotated[
        float, typer.Option(min=0.01, max=0.99, help="probability the MQL threshold stands for")
    ] = 0.5,
    folds: Annotated[int, typer.Option(min=2, max=20, help="cross-validation folds")] = 5,
) -> None:
    """Learn a model's points from the stored events and outcomes, and write it as YAML."""
    if not outcomes:
        fail("say --outcomes: the fit learns from opportunities and won deals (import them first)")
    if out is not None and not out.parent.is_dir():
        fail(f"cannot write {out}: {out.parent} is not a folder")
    settings = FitSettings(sql_probability=sql_p, mql_probability=mql_p, folds=folds)
    with runtime() as rt:
        spec = BacktestSpec(model=rt.model, live=None, label="outcome", since=None, now=utcnow(), keep=True)
        replayed = replay_all(read_uow=rt.read_uow, spec=spec)
    try:
        learnt = learn(replayed.kept, rt.model, settings)
    except FitError as exc:
        fail(str(exc))
    converted = sum(sample.converted for sample in replayed.kept)
    text = fitted_yaml(
        learnt=learnt,
        current=rt.model,
        settings=settings,
        samples=len(replayed.kept),
        converted=converted,
        fitted_on=utcnow().date(),
    )
    fitted = parse_model(text, source="(fitted)")
    current_auc = roc_auc(replayed.samples)
    if out is None:
        print(text, end="")
    else:
        out.write_text(text)
    _fit_summary(learnt, fitted, current=rt.model, current_auc=current_auc, out=out)


def _fit_summary(
    learnt: Learnt,
    fitted: ScoringModel,
    *,
    current: ScoringModel,
    current_auc: float | None,
    out: Path | None,
) -> None:
    shown = errors if out is None else console  # the YAML alone on standard output
    low, high = min(learnt.fold_aucs), max(learnt.fold_aucs)
    was = "n/a" if current_auc is None else f"{current_auc:.3f}"
    shown.print(
        f"held-out ROC AUC {learnt.held_out_auc:.3f} ({len(learnt.fold_aucs)} folds, {low:.3f}–{high:.3f});"
        f" {escape(current.label)}: {was}"
    )
    if out is not None:
        path = escape(str(out))
        shown.print(
            f"wrote {path}: {len(fitted.fit)} fit rules, {len(fitted.engagement)} engagement rules."
            f" Next: handoff backtest --model {path}, then handoff rescore --all --model {path}"
        )


def _model(rt: Runtime, path: Path | None) -> ScoringModel:
    if path is None:
        return rt.model
    try:
        return load_scoring_model(path)
    except ModelError as exc:
        fail(str(exc))


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

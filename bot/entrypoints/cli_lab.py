"""The model lab's commands: ``handoff backtest`` and ``handoff model fit``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from bot.entrypoints.cli_runtime import errors, fail, model_or_fail, runtime
from bot.runtime import utcnow
from bot.services.backtest import BacktestSpec, Label, replay_all
from bot.services.backtest_report import backtest_report
from bot.terminal.render_backtest import print_backtest
from scoring import ScoringModel, parse_model
from scoring.evaluation import roc_auc
from scoring.fit import FitError, FitSettings, Learnt, learn
from scoring.fit_yaml import fitted_yaml

console = Console()


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
        chosen = model_or_fail(rt, model)
        live = rt.model if chosen.fingerprint != rt.model.fingerprint else None
        start = since.replace(tzinfo=UTC) if since is not None else None
        spec = BacktestSpec(model=chosen, live=live, label=label, since=start, now=utcnow())
        report = backtest_report(replay_all(read_uow=rt.read_uow, spec=spec), spec)
    if chart is not None:
        from bot.services.backtest_chart import backtest_chart  # matplotlib: not a cost of every start

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

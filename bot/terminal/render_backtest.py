"""``handoff backtest`` in the terminal: the ranking figures, then one table per breakdown."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from bot.services.backtest_report import BacktestReport
from scoring.evaluation import Group

_WEEKS_SHOWN = 12


def print_backtest(console: Console, report: BacktestReport) -> None:
    """The whole report, most telling first."""
    auc = "n/a (needs converters and non-converters)" if report.auc is None else f"{report.auc:.3f}"
    console.print(
        f"[bold]{escape(report.model)}[/] against {report.label}s: {report.leads:,} leads, "
        f"{report.samples:,} samples, {report.converted:,} converted ({report.rate:.1%})"
        f" · ROC AUC [bold]{auc}[/]"
    )
    console.print(_groups("Lift by score decile", report.deciles, lifts=report.lift))
    console.print(_groups("Conversion by score band", report.bands))
    console.print(_groups("Conversion by stage at the moment scored", report.stages))
    console.print(_thresholds(report))
    console.print(_cards(report))
    if report.would_move is not None:
        console.print(f"{report.would_move:,} leads would end in another stage than under the live model")


def _groups(title: str, groups: Sequence[Group], *, lifts: Sequence[float] = ()) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("group", "leads", "converted", "rate", *(("lift",) if lifts else ())):
        table.add_column(column, justify="right")
    for index, group in enumerate(groups):
        lift = (f"{lifts[index]:.2f}×",) if lifts else ()
        table.add_row(group.name, f"{group.leads:,}", f"{group.converted:,}", f"{group.rate:.1%}", *lift)
    return table


def _thresholds(report: BacktestReport) -> Table:
    table = Table(title="Score ≥ threshold as a prediction", title_justify="left")
    for column in ("threshold", "at", "leads over it", "precision", "recall"):
        table.add_column(column, justify="right")
    for item in report.thresholds:
        table.add_row(
            item.name,
            f"{item.threshold:g}",
            f"{item.flagged:,}",
            f"{item.precision:.1%}",
            f"{item.recall:.1%}",
        )
    return table


def _cards(report: BacktestReport) -> Table:
    table = Table(title="Cards the model would have posted, by week", title_justify="left")
    table.add_column("week of")
    table.add_column("cards", justify="right")
    for week, count in report.cards_by_week[-_WEEKS_SHOWN:]:
        table.add_row(f"{week:%Y-%m-%d}", f"{count:,}")
    return table

"""A backtest's chart: lift by score decile above, conversion rate by score band below (PNG)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from bot.services.backtest_report import BacktestReport

_LIFT_COLOUR, _BAND_COLOUR = "#4c78a8", "#f58518"


def backtest_chart(report: BacktestReport) -> bytes:
    """A 900×650 PNG; the same report always gives the same bytes."""
    buffer = io.BytesIO()
    backtest_figure(report).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def backtest_figure(report: BacktestReport) -> Figure:
    """Lift per decile against a line at 1 (no better than chance), and each band's conversion."""
    figure = Figure(figsize=(9, 6.5), dpi=100, layout="constrained")
    auc = "n/a" if report.auc is None else f"{report.auc:.3f}"
    figure.suptitle(f"{report.model} against {report.label}s · ROC AUC {auc}", fontsize=15)
    top, bottom = figure.subplots(2, 1)
    deciles = [group.name for group in report.deciles]
    top.bar(deciles, report.lift, color=_LIFT_COLOUR)
    top.axhline(1.0, color="#888888", linewidth=1, linestyle="--")
    top.set_xlabel("score decile (1 = highest tenth)", fontsize=11)
    top.set_ylabel("lift", fontsize=12)
    bands = [group for group in report.bands if group.leads]
    bottom.bar([group.name for group in bands], [group.rate * 100 for group in bands], color=_BAND_COLOUR)
    bottom.yaxis.set_major_formatter(PercentFormatter())
    bottom.set_xlabel("score band", fontsize=11)
    bottom.set_ylabel("converted", fontsize=12)
    for axes in (top, bottom):
        axes.tick_params(labelsize=11)
        axes.grid(axis="y", alpha=0.3)
    return figure

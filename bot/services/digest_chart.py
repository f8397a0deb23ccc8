"""The digest's chart: MQLs and SQLs per week as bars above, the acceptance rate on its own axis
below (PNG bytes), sized to stay readable in Slack's preview."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from bot.services.digest_report import WeekCounts

_MQL_COLOUR, _SQL_COLOUR, _RATE_COLOUR = "#4c78a8", "#f58518", "#54a24b"


def digest_chart(history: Sequence[WeekCounts], *, title: str) -> bytes:
    """A 900×600 PNG of the weeks in ``history``; the same data always gives the same bytes."""
    buffer = io.BytesIO()
    chart_figure(history, title=title).savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def chart_figure(history: Sequence[WeekCounts], *, title: str) -> Figure:
    """The chart as a figure: counts on whole-number ticks, the rate in a panel of its own, each
    legend above its panel, outside the data."""
    figure = Figure(figsize=(9, 6), dpi=100, layout="constrained")
    figure.suptitle(title, fontsize=15)
    bars, rates = figure.subplots(2, 1, sharex=True, height_ratios=(3, 1.4))
    positions = list(range(len(history)))
    bars.bar(
        [p - 0.2 for p in positions], [w.new_mqls for w in history], 0.4, label="new MQLs", color=_MQL_COLOUR
    )
    bars.bar([p + 0.2 for p in positions], [w.sqls for w in history], 0.4, label="SQLs", color=_SQL_COLOUR)
    bars.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    bars.set_ylim(bottom=0)
    bars.set_ylabel("leads", fontsize=12)
    bars.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False, fontsize=12)
    rates.plot(positions, [_percent(w.acceptance_rate) for w in history], marker="o", color=_RATE_COLOUR)
    rates.set_ylim(0, 100)
    rates.yaxis.set_major_formatter(PercentFormatter())
    rates.set_ylabel("acceptance", fontsize=12)
    rates.set_xticks(positions, [f"{w.week_start.day} {w.week_start:%b}" for w in history])
    for axes in (bars, rates):
        axes.tick_params(labelsize=11)
        axes.grid(axis="y", alpha=0.3)
    return figure


def _percent(rate: float | None) -> float:
    return float("nan") if rate is None else rate * 100

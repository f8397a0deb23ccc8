"""The digest's chart: MQLs and SQLs per week as bars, the acceptance rate as a line (PNG bytes)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from matplotlib.figure import Figure

from bot.services.digest_report import WeekCounts


def digest_chart(history: Sequence[WeekCounts], *, title: str) -> bytes:
    """A 1000×500 PNG of the weeks in ``history``; the same data always gives the same bytes."""
    figure = Figure(figsize=(10, 5), dpi=100)
    bars = figure.add_subplot()
    positions = list(range(len(history)))
    labels = [f"{week.week_start.day} {week.week_start:%b}" for week in history]
    bars.bar(
        [p - 0.2 for p in positions],
        [w.new_mqls for w in history],
        width=0.4,
        label="new MQLs",
        color="#4c78a8",
    )
    bars.bar(
        [p + 0.2 for p in positions], [w.sqls for w in history], width=0.4, label="SQLs", color="#f58518"
    )
    bars.set_xticks(positions, labels)
    bars.set_ylabel("leads")
    bars.set_title(title)
    rates = figure.add_subplot(sharex=bars, frameon=False)
    rates.yaxis.tick_right()
    rates.yaxis.set_label_position("right")
    rates.set_ylim(0, 100)
    rates.set_ylabel("acceptance rate (%)")
    rates.plot(
        positions,
        [_percent(w.acceptance_rate) for w in history],
        marker="o",
        color="#54a24b",
        label="acceptance rate",
    )
    handles = bars.get_legend_handles_labels()[0] + rates.get_legend_handles_labels()[0]
    bars.legend(handles=handles, loc="upper left")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _percent(rate: float | None) -> float:
    return float("nan") if rate is None else rate * 100

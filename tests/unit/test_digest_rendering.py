"""The digest as a manager sees it: Slack blocks (validated), the chart, and the terminal."""

from __future__ import annotations

from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from rich.console import Console
from slack_sdk.models.blocks import Block

from bot.services.digest_chart import chart_figure, digest_chart
from bot.services.digest_report import Advice, BandRow, Breakdown, DigestReport, ReasonCount, WeekCounts
from bot.slack.digest_blocks import digest_message
from bot.terminal.render_digest import print_digest

MONDAY = date(2026, 11, 16)
WEEK = WeekCounts(
    MONDAY,
    new_mqls=12,
    sqls=5,
    converted=4,
    accepted=4,
    rejected=4,
    recycled=2,
    median_seconds_to_decide=4800,
    sla_breaches=3,
    reminders=3,
    escalations=1,
)
BEFORE = WeekCounts(
    MONDAY - timedelta(days=7),
    new_mqls=9,
    sqls=5,
    converted=3,
    accepted=6,
    rejected=2,
    recycled=2,
    sla_breaches=1,
)
BUSY = DigestReport(
    week=WEEK,
    previous=BEFORE,
    reasons=[
        ReasonCount("reject", "no_fit", 3),
        ReasonCount("recycle", "bad_timing", 2),
        ReasonCount("reject", None, 1),
    ],
    by_source=[Breakdown("webinar", 8, 4, 3, 6), Breakdown("(other)", 4, 1, 1, 4)],
    by_campaign=[Breakdown("q4-launch", 12, 5, 4, 10)],
    bands=[BandRow(50, 60, 1, 7, 0), BandRow(100, None, 3, 0, 0)],
    history=[BEFORE, WEEK],
    advice=[Advice("Raise the SQL threshold to 60?", "7 of 8 handoffs scored 50–59 were rejected")],
    timezone="Europe/Madrid",
)


def _valid(blocks: list[dict]) -> None:  # type: ignore[type-arg]
    assert len(blocks) <= 50
    for block in blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()


def test_busy_week_shows_headline_changes_reasons_groups_bands_and_advice() -> None:
    text, blocks = digest_message(BUSY, week_label="week of 16 Nov 2026")

    _valid(blocks)
    rendered = str(blocks)
    for expected in (
        "12  (▲ 3)",
        "33%",
        "4 (40%)",
        "▼ 20 pts",
        "1 h 20 min",
        "3  (▲ 2)",
        "Rejected — No fit: 3",
        "webinar: 8 MQLs",
        "1 of 8 accepted",
        "Raise the SQL threshold to 60?",
        "Europe/Madrid",
    ):
        assert expected in rendered, expected
    assert rendered.index("No fit") < rendered.index("Bad timing")
    assert text.startswith("MQL quality — week of 16 Nov 2026: 12 new MQLs, 5 SQLs")


def test_an_empty_week_says_so_plainly() -> None:
    empty = DigestReport(week=WeekCounts(MONDAY), previous=WeekCounts(MONDAY - timedelta(days=7)))

    text, blocks = digest_message(empty, week_label="week of 16 Nov 2026")

    _valid(blocks)
    assert "No activity" in str(blocks)
    assert text.endswith("no activity")


def test_long_names_and_many_reasons_stay_within_slacks_limits() -> None:
    noisy = DigestReport(
        week=WEEK,
        previous=BEFORE,
        reasons=[ReasonCount("reject", f"reason-{n}-" + "x" * 200, n) for n in range(40)],
        by_source=[Breakdown("<!channel> " + "s" * 300, 1, 1, 1, 1)] * 6,
        by_campaign=[Breakdown("c" * 3000, 1, 1, 1, 1)],
        advice=[Advice("a" * 5000, "e" * 5000)] * 10,
    )

    _, blocks = digest_message(noisy, week_label="week of 16 Nov 2026")

    _valid(blocks)
    assert "<!channel>" not in str(blocks)


def test_chart_is_a_png_that_depends_only_on_the_data() -> None:
    first = digest_chart(BUSY.history, title="t")

    assert first.startswith(b"\x89PNG")
    assert digest_chart(BUSY.history, title="t") == first
    assert digest_chart([BEFORE, BEFORE], title="t") != first


def test_chart_counts_sit_on_whole_numbers_even_for_a_quiet_week() -> None:
    quiet = [
        WeekCounts(MONDAY, new_mqls=1, sqls=0),
        WeekCounts(MONDAY + timedelta(days=7), new_mqls=0, sqls=1),
    ]
    figure = chart_figure(quiet, title="t")
    FigureCanvasAgg(figure).draw()

    counts = figure.axes[0]
    ticks = [tick for tick in counts.get_yticks() if counts.get_ylim()[0] <= tick <= counts.get_ylim()[1]]
    assert ticks
    assert all(float(tick).is_integer() for tick in ticks)


def test_chart_draws_the_acceptance_rate_apart_from_the_bars_and_no_legend_covers_data() -> None:
    canvas = FigureCanvasAgg(chart_figure(BUSY.history, title="t"))
    canvas.draw()
    figure, renderer = canvas.figure, canvas.get_renderer()

    counts, rates = figure.axes
    counts_box, rates_box = counts.get_window_extent(renderer), rates.get_window_extent(renderer)
    assert not counts_box.overlaps(rates_box)
    assert rates.get_ylim() == (0, 100)
    legend_box = counts.get_legend().get_window_extent(renderer)
    assert legend_box.y0 >= counts_box.y1 - 1  # above the bars, not over them


def test_terminal_digest_has_the_numbers_and_the_advice() -> None:
    console = Console(record=True, width=120)

    print_digest(console, BUSY, week_label="week of 16 Nov 2026")

    output = console.export_text()
    assert "New MQLs" in output
    assert "▲ 3" in output
    assert "Rejected — No fit: 3" in output
    assert "Raise the SQL threshold to 60?" in output

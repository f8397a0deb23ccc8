"""The weekly MQL-quality digest: local weeks, the database's aggregates, and calibration advice."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.digest_report import BandRow, Breakdown, DigestReport, ReasonCount, WeekCounts
from bot.slack.ids import REASONS
from scoring import ScoringModel
from scoring.calibration import BandOutcome, advise
from storage.digest_queries import DigestQueries, Week
from storage.uow import UnitOfWork

HISTORY_WEEKS = 8
BAND_EDGES = (50, 60, 70, 80, 90, 100)
TOP_GROUPS = 5


def monday_of(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def week_bounds(monday: date, zone: ZoneInfo) -> Week:
    """Monday 00:00 to the next Monday 00:00 in ``zone``, as UTC (a DST week is 167 or 169 hours)."""
    start = datetime.combine(monday, time(0), zone)
    end = datetime.combine(monday + timedelta(days=7), time(0), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def last_full_week(now: datetime, zone: ZoneInfo) -> date:
    """The Monday of the week before the one ``now`` falls in (what Monday's digest reports)."""
    return monday_of(now.astimezone(zone).date()) - timedelta(days=7)


def compute_digest(
    *, uow: UnitOfWork, week_of: date, zone: ZoneInfo, model: ScoringModel, now: datetime
) -> DigestReport:
    """The digest of the week containing ``week_of``, with the 7 weeks before it for comparison."""
    monday = monday_of(week_of)
    mondays = [monday - timedelta(weeks=back) for back in range(HISTORY_WEEKS - 1, -1, -1)]
    weeks = [week_bounds(day, zone) for day in mondays]
    with uow:
        queries = DigestQueries(uow.session)
        stages, decisions = queries.stage_counts(weeks), queries.decision_counts(weeks)
        sla = queries.sla_counts(weeks, now=now)
        medians = {index: queries.median_seconds_to_decide(weeks[index]) for index in (-2, -1)}
        history = [
            WeekCounts(
                day,
                *stages.get(i, (0, 0, 0)),
                *decisions.get(i, (0, 0, 0)),
                medians.get(i - HISTORY_WEEKS),
                *sla.get(i, (0, 0, 0)),
            )
            for i, day in enumerate(mondays)
        ]
        window = (weeks[0][0], weeks[-1][1])
        advice = advise(
            model=model,
            bands=_band_outcomes(queries.bands(window, edges=BAND_EDGES)),
            rules=queries.rule_acceptance(window),
            reason_labels=dict(REASONS),
        )
        return DigestReport(
            week=history[-1],
            previous=history[-2],
            reasons=[ReasonCount(*row) for row in queries.reasons(weeks[-1])],
            by_source=_top(queries.breakdown(weeks[-1], column="source")),
            by_campaign=_top(queries.breakdown(weeks[-1], column="campaign")),
            bands=[
                _band_row(outcome) for outcome in _band_outcomes(queries.bands(weeks[-1], edges=BAND_EDGES))
            ],
            history=history,
            advice=advice,
            timezone=zone.key,
        )


def _band_outcomes(found: dict[int, tuple[int, int, int, str | None]]) -> list[BandOutcome]:
    lows = (0, *BAND_EDGES)
    highs: tuple[float | None, ...] = (*BAND_EDGES, None)
    return [BandOutcome(lows[i], highs[i], *found[i]) for i in sorted(found)]


def _band_row(outcome: BandOutcome) -> BandRow:
    return BandRow(outcome.low, outcome.high, outcome.accepted, outcome.rejected, outcome.recycled)


def _top(groups: dict[str | None, list[int]]) -> list[Breakdown]:
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0], -item[1][1], -item[1][3], str(item[0])))
    shown = [Breakdown(name or "(none)", *counts) for name, counts in ranked[:TOP_GROUPS]]
    rest = [counts for _, counts in ranked[TOP_GROUPS:]]
    if rest:
        shown.append(Breakdown("(other)", *[sum(column) for column in zip(*rest, strict=True)]))
    return shown

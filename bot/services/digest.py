"""The weekly MQL-quality digest: local weeks, the database's aggregates, and calibration advice."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.services.digest_lanes import fit_band_edges, lane_acceptance, lane_outcomes, score_band_edges
from bot.services.digest_owners import owner_rows
from bot.services.digest_report import BandRow, Breakdown, Deals, DigestReport, ReasonCount, WeekCounts
from scoring import REASONS, Decision, ScoringModel
from scoring.calibration import BandOutcome, advise
from scoring.routing import Routing
from storage.calibration_queries import CalibrationQueries
from storage.digest_queries import DecisionGroup, DigestQueries, OutcomeCount, SourceGroup, StageCounts, Week
from storage.owner_queries import OwnerQueries
from storage.uow import UnitOfWork

HISTORY_WEEKS = 8
BAND_EDGES = (50, 60, 70, 80, 90, 100)
TOP_GROUPS = 5
_ACTIONS = tuple(Decision)


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
    *,
    uow: UnitOfWork,
    week_of: date,
    zone: ZoneInfo,
    model: ScoringModel,
    now: datetime,
    routing: Routing | None = None,
) -> DigestReport:
    """The digest of the week containing ``week_of``, with the 7 weeks before it for comparison.
    Every number is counted in the week its moment fell in (event time), not when it was imported;
    routed handoffs per rep and route by the week their card was opened, their time to decide in
    working hours of the teams ``routing`` has."""
    monday = monday_of(week_of)
    mondays = [monday - timedelta(weeks=back) for back in range(HISTORY_WEEKS - 1, -1, -1)]
    weeks = [week_bounds(day, zone) for day in mondays]
    window = (weeks[0][0], weeks[-1][1])
    with uow:
        queries, calibration = DigestQueries(uow.session), CalibrationQueries(uow.session)
        stages, uncarded = queries.stage_counts(weeks), queries.uncarded_counts(weeks)
        outcomes = queries.outcome_counts(weeks)
        sla = queries.sla_counts(weeks, now=now)
        decided = queries.decision_groups(weeks, edges=BAND_EDGES)
        medians = queries.medians_to_decide(weeks[-2:])
        sources, campaigns = queries.source_groups(weeks[-1]), queries.sql_campaigns(weeks[-1])
        score_edges, fit_edges = score_band_edges(model), fit_band_edges(model)
        cards = calibration.card_groups(window, score_edges=score_edges, fit_edges=fit_edges)
        rules = calibration.rule_acceptance(window)
        crm = {
            rule: (o.known, o.converted, o.won_amount)
            for rule, o in calibration.rule_outcomes(window).items()
        }
        owners = OwnerQueries(uow.session)
        by_owner, by_route = owner_rows(
            groups=owners.groups(weeks[-1], now=now), decided=owners.decided(weeks[-1]), routing=routing
        )
    decisions = _decision_counts(decided)
    history = [
        _week_counts(
            day,
            stages=stages.get(i, StageCounts()),
            uncarded=uncarded.get(i, (0, 0)),
            decisions=decisions.get(i, (0, 0, 0)),
            median=medians.get(i - (HISTORY_WEEKS - 2)),
            sla=sla.get(i, (0, 0, 0)),
            deals=_deals(outcomes.get(i, [])),
        )
        for i, day in enumerate(mondays)
    ]
    last = HISTORY_WEEKS - 1
    return DigestReport(
        week=history[-1],
        previous=history[-2],
        reasons=_reasons(decided, week=last),
        by_source=_top(_sum_by(sources, lambda group: group.source)),
        by_campaign=_top(_sum_by(sources, lambda group: group.campaign)),
        sqls_by_trigger_campaign=_ranked_campaigns(campaigns),
        bands=[_band_row(outcome) for outcome in _band_outcomes(decided, since=last)],
        history=history,
        advice=advise(
            model=model,
            bands=lane_outcomes(cards, score_edges=score_edges, fit_edges=fit_edges),
            rules=rules | lane_acceptance(cards),
            reason_labels=dict(REASONS),
            outcomes=crm,
        ),
        timezone=zone.key,
        by_owner=by_owner,
        by_route=by_route,
    )


def _week_counts(
    day: date,
    *,
    stages: StageCounts,
    uncarded: tuple[int, int],
    decisions: tuple[int, int, int],
    median: float | None,
    sla: tuple[int, int, int],
    deals: Deals,
) -> WeekCounts:
    return WeekCounts(
        day,
        stages.mqls,
        stages.sqls,
        stages.converted,
        *decisions,
        median,
        *sla,
        sqls_from_mql=stages.sqls_from_mql,
        expired=stages.expired,
        hand_raise_below_fit=uncarded[0],
        history_sqls=uncarded[1],
        deals=deals,
    )


def _deals(counts: list[OutcomeCount]) -> Deals:
    by_type = Counter[str]()
    amounts: dict[str, float] = {}
    for count in counts:
        by_type[count.type] += count.count
        if count.type == "closed_won" and count.amount:
            code = (count.currency or "").upper()
            amounts[code] = amounts.get(code, 0.0) + count.amount
    return Deals(
        by_type["opportunity_created"],
        by_type["closed_won"],
        by_type["closed_lost"],
        tuple(sorted(amounts.items())),
    )


def _ranked_campaigns(campaigns: dict[str | None, int]) -> list[tuple[str, int]]:
    ranked = sorted(campaigns.items(), key=lambda item: (-item[1], str(item[0])))
    return [(name or "(none)", count) for name, count in ranked[:TOP_GROUPS]]


def _decision_counts(groups: list[DecisionGroup]) -> dict[int, tuple[int, int, int]]:
    """Per week: accepted, rejected and recycled."""
    counts: dict[int, list[int]] = {}
    for group in groups:
        if group.action in _ACTIONS:
            counts.setdefault(group.week, [0, 0, 0])[_ACTIONS.index(group.action)] += group.count
    return {week: (a, r, c) for week, (a, r, c) in counts.items()}


def _reasons(groups: list[DecisionGroup], *, week: int) -> list[ReasonCount]:
    """The week's rejection and recycle reasons, most frequent first."""
    counts: Counter[tuple[str, str | None]] = Counter()
    for group in groups:
        if group.week == week and group.action in (Decision.REJECT, Decision.RECYCLE):
            counts[group.action, group.reason] += group.count
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0][0], *_reason_key(item[0][1])))
    return [ReasonCount(action, reason, count) for (action, reason), count in ranked]


def _band_outcomes(groups: list[DecisionGroup], *, since: int) -> list[BandOutcome]:
    """Decisions by score band from week ``since`` on, with each band's top reject reason."""
    counts: dict[int, list[int]] = {}
    rejects: dict[int, Counter[str | None]] = {}
    for group in groups:
        if group.week < since or group.action not in _ACTIONS:
            continue
        counts.setdefault(group.band, [0, 0, 0])[_ACTIONS.index(group.action)] += group.count
        if group.action == Decision.REJECT:
            rejects.setdefault(group.band, Counter())[group.reason] += group.count
    lows = (0, *BAND_EDGES)
    highs: tuple[float | None, ...] = (*BAND_EDGES, None)
    outcomes = []
    for band in sorted(counts):
        accepted, rejected, recycled = counts[band]
        top = _top_reason(rejects.get(band, Counter()))
        outcomes.append(BandOutcome(lows[band], highs[band], accepted, rejected, recycled, top))
    return outcomes


def _top_reason(reasons: Counter[str | None]) -> str | None:
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], *_reason_key(item[0])))
    return ranked[0][0] if ranked else None


def _reason_key(reason: str | None) -> tuple[bool, str]:
    """Reasons in alphabetical order, a missing one last."""
    return reason is None, reason or ""


def _band_row(outcome: BandOutcome) -> BandRow:
    return BandRow(outcome.low, outcome.high, outcome.accepted, outcome.rejected, outcome.recycled)


def _sum_by(
    groups: list[SourceGroup], key: Callable[[SourceGroup], str | None]
) -> dict[str | None, list[int]]:
    """MQLs, SQLs, accepted and decided summed per source (or campaign)."""
    sums: dict[str | None, list[int]] = {}
    for group in groups:
        totals = sums.setdefault(key(group), [0, 0, 0, 0])
        for index, value in enumerate((group.mqls, group.sqls, group.accepted, group.decided)):
            totals[index] += value
    return sums


def _top(groups: dict[str | None, list[int]]) -> list[Breakdown]:
    ranked = sorted(groups.items(), key=lambda item: (-item[1][0], -item[1][1], -item[1][3], str(item[0])))
    shown = [Breakdown(name or "(none)", *counts) for name, counts in ranked[:TOP_GROUPS]]
    rest = [counts for _, counts in ranked[TOP_GROUPS:]]
    if rest:
        shown.append(Breakdown("(other)", *[sum(column) for column in zip(*rest, strict=True)]))
    return shown

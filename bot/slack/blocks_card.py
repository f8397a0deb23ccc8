"""The lines of a handoff card a rep reads before acting: who and what they asked for, the score in
words, one timeline of what they did, their account and their earlier handoffs. Pure functions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from bot.services.card_events import CardEvent
from bot.services.timefmt import relative_time
from bot.slack.text import aware, value, whole
from scoring.types import Contribution, LeadProfile, Score, Stage
from storage.accounts import AccountActivity

TIMELINE_LINES = 4
MAX_FIT_REASONS = 5
MAX_EARLIER_RULES = 4

_STAGE_WORDS = {Stage.MQL: "MQL", Stage.SQL: "SQL"}


def stage_word(stage: Stage) -> str:
    """A stage as reps say it: "MQL", "SQL", "Lead", "Accepted"."""
    return _STAGE_WORDS.get(stage, stage.value.capitalize())


def who_line(*, profile: LeadProfile, email: str) -> str:
    """Title, company and size: "*VP Sales* at *Acme*, 250 employees" (the email when nothing is known)."""
    who = " at ".join(f"*{value(part, 100)}*" for part in (profile.title, profile.company) if part)
    size = f"{profile.company_size:,} employees" if profile.company_size is not None else ""
    return ", ".join(part for part in (who, size) if part) or value(email, 120)


def about_line(*, profile: LeadProfile, email: str) -> str:
    """The rest of the profile on one line: email, industry, country, source."""
    source = f"via {value(profile.source, 60)}" if profile.source else ""
    parts = (value(email, 120), value(profile.industry or "", 60), value(profile.country or "", 40), source)
    return " · ".join(part for part in parts if part)


def asked_line(
    *, trigger: str, trigger_event: CardEvent | None, campaign: str | None, trigger_label: str | None = None
) -> str:
    """What made this SQL, in words: "*Booked a demo* · campaign *q4-launch*"."""
    if trigger.startswith("hand raised") and (trigger_event or trigger_label):
        what = f"*{value(trigger_event.label if trigger_event else trigger_label, 80)}*"
    elif trigger.startswith("hand raised"):
        what = f"*{value(trigger.removeprefix('hand raised:').replace('_', ' ').strip().capitalize(), 80)}*"
    elif trigger.startswith("score"):
        after = f" after {_in_words(trigger_event)}" if trigger_event is not None else ""
        what = f"*Reached the SQL score*{after}"
    else:
        what = f"*{value(trigger, 120)}*"
    return what + (f" · campaign *{value(campaign, 80)}*" if campaign else "")


def _in_words(event: CardEvent) -> str:
    first = f" {value(event.details[0], 60)}" if event.details else ""
    return f"“{value(event.label, 80)}{first}”"


def score_line(score: Score) -> str:
    """ "*Score 112* · fit 40 (VP, Target industry) · engagement 72", whole numbers, reasons in words."""
    reasons = [_fit_reason(item) for item in score.contributions if item.kind == "fit" and item.points]
    reasons += [_fit_reason(item) for item in score.contributions if item.kind == "fit" and item.disqualifies]
    unique = list(dict.fromkeys(reasons))[:MAX_FIT_REASONS]
    fit = f"fit {whole(score.fit)}" + (f" ({', '.join(unique)})" if unique else "")
    line = f"*Score {whole(score.total)}* · {fit} · engagement {whole(score.engagement)}"
    return line + (" · ⛔ *Disqualified*" if score.disqualified else "")


def _fit_reason(item: Contribution) -> str:
    label = value(item.label, 60)
    if item.disqualifies:
        return f"⛔ {label}"
    return label if item.points > 0 else f"{label} {whole(item.points)}"


def timeline_lines(
    events: Sequence[CardEvent], *, score: Score, now: datetime, trigger_event_id: str | None = None
) -> list[str]:
    """One line per run of alike events, newest first (at most four), then what came before in words."""
    runs: list[list[CardEvent]] = []
    for event in events:
        if runs and (runs[-1][0].label, runs[-1][0].details) == (event.label, event.details):
            runs[-1].append(event)
        elif len(runs) < TIMELINE_LINES:
            runs.append([event])
        else:
            break
    lines = [_event_line(run, now=now, trigger_event_id=trigger_event_id) for run in runs]
    shown = Counter(event.rule_id for run in runs for event in run if event.rule_id)
    before = _earlier_signals(score, shown)
    if before:
        lines.append(f"_Before that:_ {before}")
    return lines or ["No engagement yet."]


def _event_line(run: Sequence[CardEvent], *, now: datetime, trigger_event_id: str | None) -> str:
    newest = run[0]
    mark = "🎯 " if trigger_event_id and any(event.event_id == trigger_event_id for event in run) else ""
    details = _details(newest.details)
    times = f" ×{len(run)}" if len(run) > 1 else ""
    when = relative_time(aware(newest.occurred_at), aware(now))
    return f"• {mark}{value(newest.label, 80)}{details}{times} · {when}"


def _details(details: Sequence[str]) -> str:
    if not details:
        return ""
    text = f" — *{value(details[0], 80)}*"
    if len(details) > 1:
        text += f": “{value(details[1], 160)}”"
    return text + "".join(f" · {value(extra, 60)}" for extra in details[2:4])


def _earlier_signals(score: Score, shown: Counter[str]) -> str:
    left = [
        (item.label, item.events - shown[item.rule_id])
        for item in score.top(count=len(score.contributions))
        if item.kind == "engagement" and item.events > shown[item.rule_id]
    ]
    words = [f"{value(label, 60)}{f' ×{count}' if count > 1 else ''}" for label, count in left]
    more = len(words) - MAX_EARLIER_RULES
    return " · ".join(words[:MAX_EARLIER_RULES]) + (f" · +{more} more" if more > 0 else "")


def account_line(activity: AccountActivity) -> str:
    """ "🏢 *acme.io:* Bo Lee (MQL), Cy Diaz (Lead) +2 more engaged in the last 30 days"."""
    named = ", ".join(
        f"{value(' '.join((peer.name or '').split()) or peer.email, 60)} ({stage_word(peer.stage)})"
        for peer in activity.peers
    )
    more = activity.total - len(activity.peers)
    others = named + (f" +{more} more" if more > 0 else "")
    return f"🏢 *{value(activity.domain, 80)}:* {others} engaged in the last 30 days"

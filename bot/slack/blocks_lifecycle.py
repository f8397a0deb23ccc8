"""What the lifecycle adds to a card: a returning lead's earlier decision, warnings since the card,
an imported SQL's history mark, and the line telling an owner their lead raised its hand again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.services.timefmt import relative_time
from bot.slack.blocks_parts import Block, context, decision_verb, section
from bot.slack.text import MAX_SECTION_TEXT, aware, fit_mrkdwn, mention, slack_date, value
from scoring.facts import EarlierDecision
from scoring.types import reason_label
from storage.signals import StoredSignal

MAX_WARNINGS = 5
MAX_EARLIER_SHOWN = 2
_OLD_OWNER_DETAIL = "hand raised again: "


def short_day(moment: datetime) -> str:
    """A day as "2 Sep", shown in the reader's time zone (the fallback in UTC)."""
    utc = aware(moment)
    return slack_date(utc, "{date_short}", f"{utc.day} {utc:%b}")


def _decision_text(earlier: EarlierDecision, *, note_limit: int) -> str:
    text = f"{decision_verb(earlier.action.value)} by {mention(earlier.by)} on {short_day(earlier.at)}"
    if earlier.reason:
        text += f" ({value(reason_label(earlier.reason), 80)})"
    if earlier.note and earlier.note.strip():
        text += f": “{value(earlier.note, note_limit)}”"
    return text


def returning_text(*, earlier: EarlierDecision | None, before: Sequence[EarlierDecision] = ()) -> str:
    """One line of a lead's earlier decisions, newest first: "↩ Returning lead — rejected by @rita on
    2 Sep (Bad timing): “note”; before: accepted by @ben on 3 Mar" (``earlier`` is the decision it
    returns from; ``before`` every decision on its earlier cards)."""
    decisions = list(before)
    if earlier is not None and not (decisions and _same(decisions[0], earlier)):
        decisions.insert(0, earlier)
    if not decisions:
        return ""
    head = "↩ *Returning lead* — " if earlier is not None else "↩ *Earlier:* "
    text = head + _decision_text(decisions[0], note_limit=300)
    older = [_decision_text(item, note_limit=80) for item in decisions[1:MAX_EARLIER_SHOWN]]
    if older:
        text += "; before: " + "; ".join(older)
    more = len(decisions) - MAX_EARLIER_SHOWN
    if more > 0:
        text += f"; +{more} more"
    return fit_mrkdwn(text, MAX_SECTION_TEXT)


def _same(one: EarlierDecision, other: EarlierDecision) -> bool:
    return (one.action, aware(one.at), one.by) == (other.action, aware(other.at), other.by)


def returning_block(*, earlier: EarlierDecision | None, before: Sequence[EarlierDecision] = ()) -> Block:
    """The line of earlier decisions near the top of a card."""
    return section(returning_text(earlier=earlier, before=before))


def warnings_block(warnings: Sequence[StoredSignal], *, now: datetime) -> Block:
    """ "⚠ Since this card: Unsubscribed · 2 h ago", newest last."""
    shown = [
        f"{value(_capitalized(signal.detail), 120)} · {relative_time(aware(signal.at), aware(now))}"
        for signal in warnings[-MAX_WARNINGS:]
    ]
    return context("⚠ *Since this card:* " + "; ".join(shown))


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def history_text(created_at: datetime) -> str:
    """The mark of an SQL recorded as history: no card was posted for it."""
    return f"📜 *History:* qualified on {short_day(created_at)}, before Handoff saw it — no card was posted"


def owner_note_line(
    *, owner: str, name: str, company: str | None, detail: str, at: datetime, now: datetime
) -> str:
    """ "@rita Ana Ruiz (Acme) raised their hand again: requested a demo, 2 h ago"."""
    who = value(name, 150) + (f" ({value(company, 150)})" if company else "")
    what = detail.removeprefix(_OLD_OWNER_DETAIL).replace("_", " ").strip()
    what = what[:1].lower() + what[1:]
    when = relative_time(aware(at), aware(now))
    return fit_mrkdwn(
        f"{mention(owner)} {who} raised their hand again: {value(what, 200)}, {when}", MAX_SECTION_TEXT
    )

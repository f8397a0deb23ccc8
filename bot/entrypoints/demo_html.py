"""``handoff demo --html``: the demo's card, modal, App Home and digest drawn from the bot's own blocks."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

from bot.runtime import Runtime
from bot.services.cards import card_view, home_views
from bot.services.digest_chart import digest_chart
from bot.services.digest_report import DigestReport
from bot.slack.blocks import CardMessage, decision_modal, decision_thread_line, handoff_card
from bot.slack.blocks_parts import lead_name
from bot.slack.digest_blocks import digest_message
from bot.slack.digest_post import week_label
from bot.slack.home import home_view
from bot.slack.preview_mrkdwn import Names
from bot.slack.preview_page import Message, Picture, Preview, page_html
from scoring import Decision

# The pictures are drawn at a fixed instant on the embedded defaults, so the same code gives the same page.
PICTURES_AT = datetime(2026, 11, 25, 14, 30, tzinfo=UTC)
PICTURES_SETTINGS: dict[str, object] = {"timezone": "UTC", "sla_minutes": 60, "scoring_model": None}
DEMO_REP = "UDEMOREP"
_MESSAGE_TS = "1795000000.000100"
_PREVIEW = Preview(names=Names(users={DEMO_REP: "rita"}, channels={"C0DEMO0001": "sales"}))


@dataclass(frozen=True)
class Played:
    """A handoff the demo decided, with its card as posted before the decision."""

    handoff_id: int
    action: Decision
    before: CardMessage


def demo_page(
    *, rt: Runtime, played: Sequence[Played], report: DigestReport, monday: date, now: datetime
) -> str:
    """The page: an open card, the decided cards with their thread lines, the modal, the Home, the digest."""
    at = f"{now:%H:%M}"
    pictures = [
        *_card_pictures(rt=rt, played=played, now=now, at=at),
        Picture(
            "home",
            "App Home",
            "A rep's Home tab: the cards waiting, oldest first, and their decisions.",
            _PREVIEW.home_html(_home(rt=rt, now=now)),
        ),
        Picture(
            "digest",
            "The weekly digest",
            "MQL quality, week over week, with its chart in the thread.",
            _PREVIEW.channel_html([_digest(report=report, monday=monday, at=at)]),
        ),
    ]
    intro = "Drawn by “handoff demo --html” from the very blocks the bot sends to Slack."
    return page_html(title="Handoff — what reps see in Slack", intro=intro, pictures=pictures)


def _card_pictures(*, rt: Runtime, played: Sequence[Played], now: datetime, at: str) -> list[Picture]:
    """The cards and the modal, when the demo made enough SQLs to accept one and reject another."""
    accepted = next((p for p in played if p.action == Decision.ACCEPT), None)
    rejected = next((p for p in played if p.action == Decision.REJECT), None)
    if accepted is None or rejected is None:
        return []
    decided = [_decided(rt=rt, handoff_id=p.handoff_id, now=now, at=at) for p in (accepted, rejected)]
    return [
        Picture(
            "card",
            "A handoff card",
            "A new SQL as posted in the sales channel.",
            _PREVIEW.channel_html([Message(accepted.before.blocks, time=at)]),
        ),
        Picture(
            "card-decided",
            "The card after a decision",
            "The same card after Accept, and another after "
            "Reject with its reason: updated in place, a line in its thread.",
            _PREVIEW.channel_html(decided),
        ),
        Picture(
            "modal",
            "The reject modal",
            "Reject asks for a reason from a fixed list and a note.",
            _PREVIEW.modal_html(_modal(rt=rt, handoff_id=rejected.handoff_id, now=now)),
        ),
    ]


def _decided(*, rt: Runtime, handoff_id: int, now: datetime, at: str) -> Message:
    with rt.read_uow() as uow:
        handoff = uow.handoffs.get(handoff_id)
        view = card_view(uow=uow, handoff=handoff, model=rt.model, now=now) if handoff else None
    if view is None or view.decision is None:
        raise LookupError(f"handoff {handoff_id} has no decided card")
    line = Message((), text=decision_thread_line(decision=view.decision), time=at)
    return Message(handoff_card(view, now=now).blocks, time=at, replies=[line])


def _modal(*, rt: Runtime, handoff_id: int, now: datetime) -> dict[str, object]:
    with rt.read_uow() as uow:
        handoff = uow.handoffs.get(handoff_id)
        view = card_view(uow=uow, handoff=handoff, model=rt.model, now=now) if handoff else None
    name = lead_name(view.profile, view.email) if view else "this lead"
    return decision_modal(
        action=Decision.REJECT,
        handoff_id=handoff_id,
        channel="C0DEMO0001",
        message_ts=_MESSAGE_TS,
        lead_name=name,
        today=now.date(),
    )


def _home(*, rt: Runtime, now: datetime) -> dict[str, object]:
    waiting, mine = home_views(uow=rt.read_uow(), user_id=DEMO_REP, model=rt.model, now=now)
    return home_view(waiting=waiting, mine=mine, now=now)


def _digest(*, report: DigestReport, monday: date, at: str) -> Message:
    label = week_label(monday)
    _, blocks = digest_message(report, week_label=label)
    chart = digest_chart(report.history, title=f"MQL quality, 8 weeks to the {label}")
    image = {
        "type": "image",
        "image_url": "data:image/png;base64," + base64.b64encode(chart).decode("ascii"),
        "alt_text": f"MQL quality — {label}",
        "title": {"type": "plain_text", "text": f"mql-quality-{monday}.png"},
    }
    return Message(blocks, time=at, replies=[Message([image], time=at)])


_INLINE_IMAGE = re.compile(rb"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+")


def page_fingerprint(page: bytes) -> str:
    """The sha256 of a page with its inline images left out: what the pictures were made from. The
    chart's PNG bytes depend on the plotting library's version; the numbers it draws are in the
    digest's blocks all the same."""
    return hashlib.sha256(_INLINE_IMAGE.sub(b"data:image", page)).hexdigest()

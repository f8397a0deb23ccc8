"""The HTML preview draws the bot's own Block Kit the way Slack lays it out, and never runs user text."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Any

import pytest

from bot.slack.blocks import decision_modal, decision_thread_line, handoff_card, lead_summary
from bot.slack.digest_blocks import digest_message
from bot.slack.home import home_view
from bot.slack.preview_blocks import blocks_html
from bot.slack.preview_mrkdwn import Names, mrkdwn_html
from bot.slack.preview_page import Message, Picture, Preview, page_html
from scoring.types import Decision, LeadProfile, Stage
from storage.handoffs import DecisionRecord
from tests.unit.test_blocks import NOW, OPEN, PROFILE, REJECTED, RITA, SCORE, TIMELINE, TODAY, decided
from tests.unit.test_digest_rendering import BUSY

NAMES = Names(users={RITA: "rita"}, channels={"C0SALES001": "sales"})
HOSTILE = "<script>alert(1)</script>"


def drawn(blocks: list[dict[str, Any]]) -> str:
    return blocks_html(blocks, names=NAMES)


def modal(action: Decision = Decision.REJECT, name: str = "Ana Ruiz") -> dict[str, Any]:
    return decision_modal(
        action=action, handoff_id=7, channel="C0SALES001", message_ts="1.2", lead_name=name, today=TODAY
    )


def everything_the_bot_builds() -> list[list[dict[str, Any]]]:
    return [
        handoff_card(OPEN, now=NOW).blocks,
        handoff_card(decided(REJECTED), now=NOW).blocks,
        lead_summary(
            email="ana@acme.io", profile=PROFILE, stage=Stage.MQL, score=SCORE, timeline=TIMELINE, now=NOW
        ),
        modal(Decision.REJECT)["blocks"],
        modal(Decision.RECYCLE)["blocks"],
        home_view(waiting=[OPEN], mine=[decided(REJECTED)], now=NOW)["blocks"],
        digest_message(BUSY, week_label="week of 16 Nov 2026")[1],
    ]


@pytest.mark.parametrize("blocks", everything_the_bot_builds())
def test_every_block_the_bot_builds_is_drawn_as_its_type(blocks: list[dict[str, Any]]) -> None:
    page = drawn(blocks)

    for kind, count in Counter(block["type"] for block in blocks).items():
        assert page.count(f'<div class="block {kind}">') == count, kind
    assert "not drawn in this preview" not in page


def test_card_header_is_a_heading_and_the_digest_fields_a_two_column_grid() -> None:
    card = drawn(handoff_card(OPEN, now=NOW).blocks)
    digest = drawn(digest_message(BUSY, week_label="week of 16 Nov 2026")[1])

    assert '<div class="block header"><h3>New SQL · Ana Ruiz</h3></div>' in card
    assert '<div class="fields"><div class="field"><b>New MQLs</b><br>12  (▲ 3)</div>' in digest
    assert "grid-template-columns: 1fr 1fr" in page_html(title="t", intro="", pictures=[])


def test_open_card_buttons_are_green_red_and_plain() -> None:
    page = drawn(handoff_card(OPEN, now=NOW).blocks)

    assert re.findall(r'<button type="button" class="([^"]+)">(\w+)</button>', page) == [
        ("button primary", "Accept"),
        ("button danger", "Reject"),
        ("button", "Recycle"),
    ]


def test_decided_card_shows_who_decided_as_a_name_and_the_reason_in_small_grey_text() -> None:
    page = drawn(handoff_card(decided(REJECTED), now=NOW).blocks)

    assert "<button" not in page
    assert '<span class="mention">@rita</span> — No fit: Too small for us' in page


def test_slack_dates_show_their_fallback() -> None:
    page = drawn(handoff_card(OPEN, now=NOW).blocks)

    assert '<b>Respond by</b> <span class="date">2026-11-20 13:00 UTC</span>' in page
    assert "!date" not in page


def test_reject_modal_has_its_title_a_menu_a_text_box_cancel_and_a_green_submit() -> None:
    page = Preview(names=NAMES).modal_html(modal())

    assert '<div class="modal-head"><span>Reject lead</span>' in page
    assert '<div class="select placeholder"><span>Choose a reason</span>' in page
    assert '<div class="text-input multiline"><span class="placeholder">Anything the next' in page
    assert '<label>Note <span class="optional">(optional)</span></label>' in page
    assert page.endswith(
        '<button type="button" class="button">Cancel</button>'
        '<button type="button" class="button primary">Reject</button></div></div></div>'
    )


def test_recycle_modal_draws_its_date_picker_with_the_date_and_hint() -> None:
    page = Preview(names=NAMES).modal_html(modal(Decision.RECYCLE))

    assert '<div class="select date-input"><span>📅 2027-02-18</span>' in page
    assert "Marketing nurtures the lead until this date." in page


def test_home_tab_draws_headers_sections_context_and_a_divider() -> None:
    page = Preview(names=NAMES).home_html(home_view(waiting=[OPEN], mine=[decided(REJECTED)], now=NOW))

    assert '<span class="on">Home</span>' in page
    assert "<h3>Waiting for a decision (1)</h3>" in page
    assert "<hr>" in page
    assert 'card in <span class="mention">#sales</span>' in page


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("*bold* _italic_ ~gone~ `x < y`", "<b>bold</b> <i>italic</i> <s>gone</s> <code>x &lt; y</code>"),
        ("lead_name and 2*3*4", "lead_name and 2*3*4"),
        (
            "<https://acme.io/x|Acme> <https://a.io>",
            '<span class="link" title="https://acme.io/x">Acme</span>',
        ),
        ("<@U0RITA> in <#C0SALES001> <!here>", '<span class="mention">@rita</span> in'),
        ("<#C0OTHER> <@U0NOBODY>", '<span class="mention">#C0OTHER</span> <span class="mention">@U0NOBODY'),
        ("one\ntwo", "one<br>two"),
        ("<!subteam^S0SALES|@sales-leads> <!here>", '@sales-leads</span> <span class="mention">@here</span>'),
        ("*<@U0RITA>*", '<b><span class="mention">@rita</span></b>'),
        ("&lt;b&gt; &amp; co", "&lt;b&gt; &amp; co"),
        ("```a *b*\nc```", '<pre class="code">a *b*\nc</pre>'),
    ],
)
def test_mrkdwn_is_drawn_as_slack_draws_it(text: str, shown: str) -> None:
    assert shown in mrkdwn_html(text, names=NAMES)


def test_unknown_blocks_and_elements_are_shown_as_placeholders_not_dropped() -> None:
    page = drawn(
        [
            {"type": "rich_text", "elements": []},
            {
                "type": "actions",
                "elements": [{"type": "workflow_button", "text": {"type": "plain_text", "text": "Go"}}],
            },
        ]
    )

    assert "[block “rich_text” is not drawn in this preview]" in page
    assert "[element “workflow_button” is not drawn in this preview]" in page


def test_hostile_names_and_notes_appear_as_text_everywhere() -> None:
    profile = LeadProfile(
        email="x@evil.io", name=HOSTILE, company='"><img src=x onerror=alert(2)>', title=HOSTILE
    )
    view = replace(OPEN, profile=profile, trigger=HOSTILE)
    note = DecisionRecord(Decision.REJECT, "no_fit", f"{HOSTILE} <@U0RITA>", None, RITA, NOW)
    preview = Preview(names=Names(users={RITA: HOSTILE}, channels={"C0SALES001": HOSTILE}), channel=HOSTILE)
    home = home_view(waiting=[view], mine=[replace(view, decision=note, status="rejected")], now=NOW)
    thread = Message((), text=decision_thread_line(decision=note))
    page = page_html(
        title=HOSTILE,
        intro=HOSTILE,
        pictures=[
            Picture(
                "card", HOSTILE, HOSTILE, preview.channel_html([Message(handoff_card(view, now=NOW).blocks)])
            ),
            Picture(
                "decided",
                "d",
                "d",
                preview.channel_html(
                    [
                        Message(
                            handoff_card(replace(view, decision=note, status="rejected"), now=NOW).blocks,
                            replies=[thread],
                        )
                    ]
                ),
            ),
            Picture("modal", "m", "m", preview.modal_html(modal(name=HOSTILE))),
            Picture("home", "h", "h", preview.home_html(home, app=HOSTILE)),
        ],
    )

    assert "<script" not in page
    assert "<img" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;" in page


def test_a_page_loads_nothing_and_draws_only_data_images() -> None:
    remote = {"type": "image", "image_url": "https://evil.example/x.png", "alt_text": "remote chart"}
    local = {"type": "image", "image_url": "data:image/png;base64,iVBORw0KGgo=", "alt_text": "chart"}
    link = {"type": "section", "text": {"type": "mrkdwn", "text": "<https://evil.example/|see>"}}
    body = Preview().channel_html([Message([remote, local, link])])
    page = page_html(title="t", intro="i", pictures=[Picture("p", "p", "p", body)])

    assert re.findall(r'(?:src|href)="([^"]*)"', page) == ["data:image/png;base64,iVBORw0KGgo="]
    assert "🖼 remote chart" in page
    assert not re.search(r"<script|<link|@import|url\(", page)

"""A card fits one desktop screen and Slack's limits whatever the data: the line counter, the model's
event declarations, and cards built from long, many, missing and hostile values."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bot.services.card_events import card_events
from bot.services.cards import CardView, hand_raise_label
from bot.slack import blocks
from bot.slack.blocks_parts import name_from_header
from bot.slack.card_lines import CARD_LINE_BUDGET, lines_before_buttons
from scoring import ModelError, parse_model
from scoring.event_display import DEFAULT_EVENT_DISPLAY, PERSONAL_PROPERTIES
from scoring.facts import EarlierDecision
from scoring.types import Contribution, Decision, LeadProfile, Stage
from storage.accounts import AccountActivity, AccountPeer
from storage.event_log import StoredEvent
from storage.handoffs import DecisionRecord
from storage.signals import StoredSignal
from tests.unit.test_blocks import MODEL, NOW, OPEN, SCORE, assert_valid, texts

AIM = 13  # leaves two lines of the budget for the owner and model-version lines to come
HOSTILE = "<!channel> <@U1> <https://evil.example|click> &amp; *bold* _it_"


def shown(built: list[dict[str, object]]) -> str:
    return "\n".join(texts(built))


def test_the_counter_counts_every_newline_above_the_buttons_and_nothing_below() -> None:
    built = [
        {"type": "header", "text": {"type": "plain_text", "text": "New SQL · Ana"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "one\ntwo\nthree"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "fields"},
            "fields": [{"type": "mrkdwn", "text": t} for t in ("a\nb", "c", "d", "e\nf\ng", "h")],
        },
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "x"}, {"type": "mrkdwn", "text": "y\nz"}],
        },
        {"type": "divider"},
        {"type": "actions", "elements": []},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "below the buttons"}]},
    ]

    # header 1 + section 3 + (1 + rows of 2, 3 and 1) + context 2 + divider 1
    assert lines_before_buttons(built) == 1 + 3 + 7 + 2 + 1
    assert lines_before_buttons(built[:5]) == 14  # no buttons: every line counts


def test_the_budget_is_fifteen_lines() -> None:
    assert CARD_LINE_BUDGET == 15


def test_an_old_model_without_event_declarations_reads_events_the_built_in_way() -> None:
    old = parse_model("name: old\nthresholds: {mql: 50, sql: 100}\n")

    assert old.event_display("content_download").label == "Downloaded"
    assert old.event_display("content_download").show == ("asset",)
    assert old.event_display("partner_referral").label == "Partner referral"


def test_a_model_declares_a_label_and_properties_per_event_type() -> None:
    model = parse_model(
        "name: m\nthresholds: {mql: 50, sql: 100}\n"
        "events:\n"
        "  content_download: {label: Grabbed, show: 'asset, format'}\n"
        "  demo_request: {label: Asked for a demo, show: [form, phone], personal: []}\n"
    )
    events = [
        StoredEvent("a", "content_download", NOW, {"asset": "ROI guide", "format": "pdf"}, None),
        StoredEvent("b", "demo_request", NOW, {"form": "demo", "phone": "+1 555"}, None),
    ]

    (download, demo) = card_events(events, model=model, show_personal=False)

    assert (download.label, download.details) == ("Grabbed", ("ROI guide", "pdf"))
    assert (demo.label, demo.details) == ("Asked for a demo", ("demo", "+1 555"))  # declared not personal


@pytest.mark.parametrize(
    ("events", "path"),
    [
        ("  demo_request: {label: Demo, show: [form], colour: red}", "events.demo_request.colour"),
        ("  demo_request: {show: [form]}", "events.demo_request.label"),
        ("  demo_request: {label: Demo, show: ['no spaces']}", "events.demo_request.show"),
        ("  Demo-Request: {label: Demo}", "events"),
        ("  demo_request: {label: Demo, show: [a, b, c, d, e, f]}", "events.demo_request.show"),
    ],
)
def test_a_bad_event_declaration_is_refused_naming_the_field(events: str, path: str) -> None:
    with pytest.raises(ModelError) as refused:
        parse_model(f"name: m\nthresholds: {{mql: 50, sql: 100}}\nevents:\n{events}\n", source="m.yaml")

    assert any(problem.startswith(f"{path}:") for problem in refused.value.problems), refused.value.problems


def test_the_built_in_model_knows_free_mail_domains_from_its_fit_rules() -> None:
    assert {"gmail.com", "proton.me", "yandex.com"} <= MODEL.free_mail_domains
    assert "hubspot.com" not in MODEL.free_mail_domains  # a competitor is an account, if a banned one
    assert "acme.io" not in MODEL.free_mail_domains


@pytest.mark.parametrize("event_type", sorted(DEFAULT_EVENT_DISPLAY))
def test_every_event_type_reads_in_words_with_each_declared_property(event_type: str) -> None:
    display = MODEL.event_display(event_type)
    properties = {name: f"{name}-value" for name in display.show}
    events = card_events(
        [StoredEvent("t", event_type, NOW - timedelta(hours=1), properties, None)],
        model=MODEL,
        show_personal=True,
    )

    text = shown(blocks.handoff_card(replace(OPEN, timeline=events, trigger_event=None), now=NOW).blocks)

    assert f"• {display.label}" in text
    assert event_type not in text
    for name in display.show:
        assert f"{name}-value" in text
        if name in PERSONAL_PROPERTIES:
            hidden = card_events(
                [StoredEvent("t", event_type, NOW, properties, None)], model=MODEL, show_personal=False
            )
            assert f"{name}-value" not in hidden[0].details


def busy_view(*, text: str, events: int, peers: int, earlier: int, warnings: int) -> CardView:
    profile = LeadProfile(
        email=f"{'x' * 60}@{'y' * 60}.io",
        name=text,
        company=text,
        title=text,
        industry=text,
        company_size=1_000_000,
        country=text,
        source=text,
        campaign=text,
    )
    stored = [
        StoredEvent(
            f"e{n}",
            ("demo_request", "page_view", "content_download", "webinar_attended", f"odd_{n}")[n % 5],
            NOW - timedelta(minutes=7 * n),
            {"form": text, "message": text, "phone": text, "url": text, "asset": text, "webinar": text},
            None,
        )
        for n in range(events)
    ]
    contributions = tuple(
        Contribution(f"rule{n}", text, "engagement" if n % 2 else "fit", 50.55 - n, 60.2, 30, NOW)
        for n in range(40)
    )
    decisions = tuple(
        EarlierDecision(Decision.REJECT, NOW - timedelta(days=n + 1), "URITA", "other", text)
        for n in range(earlier)
    )
    account = AccountActivity(
        domain="y" * 60 + ".io",
        peers=tuple(AccountPeer(f"p{n}@y.io", text, Stage.MQL, NOW) for n in range(min(peers, 3))),
        total=peers,
    )
    return replace(
        OPEN,
        profile=profile,
        email=profile.email,
        score=replace(SCORE, contributions=contributions, disqualified=True),
        timeline=card_events(stored, model=MODEL, show_personal=True),
        trigger=text,
        campaign=text,
        account=account if peers else None,
        earlier=decisions[0] if decisions else None,
        earlier_handoffs=decisions,
        warnings=tuple(StoredSignal("card_warning", NOW, text, f"w{n}", None) for n in range(warnings)),
        sla_due_at=NOW - timedelta(hours=1),
        reminded_at=NOW,
        escalated_at=NOW,
    )


@pytest.mark.parametrize("text", ["Ana", "x" * 5000, HOSTILE * 40, "", "名前 " * 300])
@pytest.mark.parametrize(("events", "peers", "earlier", "warnings"), [(0, 0, 0, 0), (60, 12, 9, 7)])
def test_any_card_fits_slack_and_the_line_budget(
    text: str, events: int, peers: int, earlier: int, warnings: int
) -> None:
    view = busy_view(text=text, events=events, peers=peers, earlier=earlier, warnings=warnings)
    decided = replace(
        view,
        status="rejected",
        decision=DecisionRecord(Decision.REJECT, "other", text, None, "URITA", NOW),
    )
    for card in (blocks.handoff_card(view, now=NOW), blocks.handoff_card(decided, now=NOW)):
        assert_valid(card.blocks)
        assert len(card.text) <= 3000
        assert lines_before_buttons(card.blocks) <= AIM
        for raw in ("<!channel>", "<@U1>", "<https://evil"):
            assert raw not in shown(card.blocks).replace(texts(card.blocks[0])[0], "")
    lookup = blocks.lead_lookup_blocks(view=view, now=NOW)
    assert_valid(lookup)
    assert lines_before_buttons(lookup) <= AIM + 1  # the "waiting on the card" line replaces the buttons


def test_a_lead_with_nothing_known_still_makes_a_plain_card() -> None:
    bare = replace(
        OPEN,
        profile=LeadProfile(email="who@acme.io"),
        email="who@acme.io",
        timeline=[],
        trigger_event=None,
        campaign=None,
        score=replace(SCORE, contributions=(), fit=0, engagement=0),
    )

    card = blocks.handoff_card(bare, now=NOW)

    assert_valid(card.blocks)
    assert texts(card.blocks[0]) == ["New SQL · who@acme.io"]
    assert "*Score 0* · fit 0 · engagement 0\nNo engagement yet." in shown(card.blocks)


def test_the_decision_modal_still_gets_the_lead_name_from_the_header() -> None:
    assert name_from_header("New SQL · Ana Ruiz") == "Ana Ruiz"
    assert name_from_header("Returning SQL · Ana · Ruiz") == "Ana · Ruiz"
    assert name_from_header("Ana Ruiz") == "Ana Ruiz"  # a card posted before headers said what they are
    assert name_from_header("Dr · Ana") == "Dr · Ana"


def test_a_card_without_its_trigger_event_still_says_what_was_asked_in_words() -> None:
    old_card = replace(OPEN, trigger_event=None, trigger_label="Booked a demo", campaign=None)
    unlabelled = replace(old_card, trigger="hand raised: partner_referral", trigger_label=None)
    by_score = replace(old_card, trigger="score 104 ≥ 100, fit 40 ≥ 20")

    def first_line(view: CardView) -> str:
        return texts(blocks.handoff_card(view, now=NOW).blocks[1])[0].splitlines()[0]

    assert first_line(old_card).endswith("—  *Booked a demo*")
    assert first_line(unlabelled).endswith("—  *Partner referral*")
    assert first_line(by_score).endswith("—  *Reached the SQL score*")


def test_the_hand_raise_of_an_older_handoff_is_named_by_the_model() -> None:
    assert hand_raise_label(trigger="hand raised: demo_request", model=MODEL) == "Booked a demo"
    assert hand_raise_label(trigger="hand raised: contact_sales", model=MODEL) == "Contacted sales"
    assert hand_raise_label(trigger="score 104 ≥ 100, fit 40 ≥ 20", model=MODEL) is None

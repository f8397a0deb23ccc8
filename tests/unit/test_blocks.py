"""Block Kit builders: what a rep sees, and that Slack would accept every payload."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.model_source import builtin_model_text
from bot.services.card_events import card_events
from bot.services.cards import CardView
from bot.slack import blocks, ids
from bot.slack.blocks import SubmissionError
from bot.slack.card_lines import lines_before_buttons
from scoring import parse_model
from scoring.types import REASONS, Contribution, Decision, LeadProfile, Score, Stage, reason_label
from storage.event_log import StoredEvent
from storage.handoffs import DecisionRecord
from storage.leads import LeadState
from tests.slack_requests import view_submission

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
RITA = "U0RITA"
PROFILE = LeadProfile(
    email="ana@acme.io",
    name="Ana Ruiz",
    company="Acme",
    title="VP Sales",
    industry="Software",
    company_size=250,
    country="US",
    source="webinar",
    campaign="q4-launch",
)
SCORE = Score(
    fit=40,
    engagement=72,
    contributions=(
        Contribution("seniority_vp", "VP", "fit", 20),
        Contribution("target_industry", "Target industry", "fit", 20),
        Contribution(
            "hand_raise_demo", "Requested a demo", "engagement", 40, 40, 1, NOW - timedelta(hours=2)
        ),
        Contribution("pricing_page", "Viewed pricing", "engagement", 18, 24, 3, NOW - timedelta(days=2)),
        Contribution(
            "page_view", "Viewed pages", "engagement", 10, 14, 14, NOW - timedelta(hours=5), capped=True
        ),
        Contribution("email_open", "Opened emails", "engagement", 4, 4, 4, NOW - timedelta(days=3)),
    ),
    disqualified=False,
    at=NOW,
)
MODEL = parse_model(builtin_model_text())
TIMELINE = card_events(
    [
        StoredEvent(
            "e3",
            "demo_request",
            NOW - timedelta(hours=2),
            {"form": "book-a-demo", "message": "40 reps, live by March", "phone": "+1 555 0100"},
            "hand_raise_demo",
        ),
        StoredEvent("e2", "page_view", NOW - timedelta(days=2), {"url": "/pricing"}, "pricing_page"),
        StoredEvent("e1", "email_open", NOW - timedelta(days=3), {}, "email_open"),
    ],
    model=MODEL,
    show_personal=False,
)
OPEN = CardView(
    handoff_id=7,
    email="ana@acme.io",
    profile=PROFILE,
    stage=Stage.SQL,
    score=SCORE,
    timeline=TIMELINE,
    trigger="hand raised: demo_request",
    created_at=NOW - timedelta(hours=2),
    sla_due_at=NOW + timedelta(hours=1),
    status="open",
    decision=None,
    channel="C0SALES001",
    message_ts="1795176000.000100",
    trigger_event=TIMELINE[0],
    campaign="q4-launch",
)
ACCEPTED = DecisionRecord(Decision.ACCEPT, None, None, None, RITA, NOW)
REJECTED = DecisionRecord(Decision.REJECT, "no_fit", "Too small for us", None, RITA, NOW)
RECYCLE_UNTIL = datetime(2027, 1, 15, tzinfo=UTC)
RECYCLED = DecisionRecord(Decision.RECYCLE, "bad_timing", None, RECYCLE_UNTIL, RITA, NOW)


def decided(decision: DecisionRecord) -> CardView:
    status = {"accept": "accepted", "reject": "rejected", "recycle": "recycled"}[decision.action]
    return replace(OPEN, status=status, decision=decision, stage=Stage(status))


def assert_valid(built: list[dict[str, Any]]) -> None:
    """slack_sdk accepts every block unchanged, and every text is within Slack's limits."""
    assert 0 < len(built) <= 50
    for raw in built:
        parsed = Block.parse(raw)
        assert parsed is not None, raw
        parsed.validate_json()
        assert parsed.to_dict() == raw
        if raw["type"] == "section":
            assert len(raw["text"]["text"]) <= 3000
            assert len(raw.get("fields", [])) <= 10
            assert all(len(field["text"]) <= 2000 for field in raw.get("fields", []))
        if raw["type"] == "context":
            assert len(raw["elements"]) <= 10
            assert all(len(element["text"]) <= 3000 for element in raw["elements"])
        if raw["type"] == "header":
            assert len(raw["text"]["text"]) <= 150


def text_objects(built: Any, kinds: tuple[str, ...] = ("mrkdwn", "plain_text")) -> list[dict[str, Any]]:
    """Every text object of a payload, in order."""
    if isinstance(built, list):
        return [obj for item in built for obj in text_objects(item, kinds)]
    if isinstance(built, dict):
        own = [built] if built.get("type") in kinds else []
        return own + [obj for item in built.values() for obj in text_objects(item, kinds)]
    return []


def texts(built: Any) -> list[str]:
    return [obj["text"] for obj in text_objects(built)]


def mrkdwn_texts(built: Any) -> list[str]:
    return [obj["text"] for obj in text_objects(built, ("mrkdwn",))]


def of_type(built: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [block for block in built if block["type"] == kind]


def test_open_card_says_who_what_they_asked_for_and_the_score_in_words() -> None:
    card = blocks.handoff_card(OPEN, now=NOW)
    assert_valid(card.blocks)
    shown = "\n".join(texts(card.blocks))
    assert card.blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "New SQL · Ana Ruiz", "emoji": True},
    }
    first_line = texts(card.blocks[1])[0].splitlines()[0]
    assert first_line == "*VP Sales* at *Acme*, 250 employees  —  *Booked a demo* · campaign *q4-launch*"
    assert "ana@acme.io · Software · US · via webinar" in shown
    assert "*Score 112* · fit 40 (VP, Target industry) · engagement 72" in shown
    assert "• 🎯 Booked a demo — *book-a-demo*: “40 reps, live by March” · 2 h ago" in shown
    assert "• Viewed — */pricing* · 2 d ago" in shown
    assert "• Opened an email · 3 d ago" in shown
    assert "_Before that:_ Viewed pricing ×2 · Viewed pages ×14 · Opened emails ×3" in shown
    for jargon in ("demo_request", "hand raised", "after decay", "hand_raise_demo", ".5", "Top signals"):
        assert jargon not in shown
    due = int((NOW + timedelta(hours=1)).timestamp())
    assert f"<!date^{due}^{{date_short_pretty}} at {{time}}|2026-11-20 13:00 UTC>" in shown
    assert "Overdue" not in shown
    assert card.text == "New SQL: Ana Ruiz (VP Sales, Acme) — score 112"
    assert card.metadata == {"event_type": "handoff_card", "event_payload": {"handoff_id": 7}}


def test_each_signal_is_said_once() -> None:
    shown = "\n".join(texts(blocks.handoff_card(OPEN, now=NOW).blocks))
    for words in ("Booked a demo — ", "Viewed — */pricing*", "Viewed pages", "VP,"):
        assert shown.count(words) == 1, words


def test_a_phone_left_on_a_form_shows_only_where_the_setting_allows() -> None:
    event = StoredEvent(
        "e9", "demo_request", NOW, {"form": "book-a-demo", "message": "call me", "phone": "+1 555 0100"}, None
    )
    hidden = card_events([event], model=MODEL, show_personal=False)
    shown = card_events([event], model=MODEL, show_personal=True)

    assert "+1 555 0100" not in "\n".join(
        texts(blocks.handoff_card(replace(OPEN, timeline=hidden), now=NOW).blocks)
    )
    assert "· +1 555 0100 · just now" in "\n".join(
        texts(blocks.handoff_card(replace(OPEN, timeline=shown), now=NOW).blocks)
    )


def test_scores_are_whole_numbers_and_a_negative_fit_reason_shows_its_points() -> None:
    score = Score(
        fit=-14.6,
        engagement=86.6,
        contributions=(
            Contribution("free_mail", "Free email domain", "fit", -15),
            Contribution("student", "Student or job seeker", "fit", -30, disqualifies=True),
        ),
        disqualified=True,
        at=NOW,
    )

    shown = "\n".join(texts(blocks.handoff_card(replace(OPEN, score=score), now=NOW).blocks))

    assert "*Score 72* · fit -15 (Free email domain -15, ⛔ Student or job seeker) · engagement 87" in shown
    assert "⛔ *Disqualified*" in shown


def test_open_card_has_the_three_buttons_with_the_handoff_id() -> None:
    (actions,) = of_type(blocks.handoff_card(OPEN, now=NOW).blocks, "actions")
    buttons = {button["action_id"]: button for button in actions["elements"]}
    assert list(buttons) == [ids.ACCEPT, ids.REJECT, ids.RECYCLE]
    assert {button["value"] for button in buttons.values()} == {"7"}
    assert buttons[ids.ACCEPT]["style"] == "primary"
    assert buttons[ids.REJECT]["style"] == "danger"
    assert "style" not in buttons[ids.RECYCLE]
    assert [button["text"]["text"] for button in buttons.values()] == ["Accept", "Reject", "Recycle"]


def test_overdue_card_says_so() -> None:
    late = replace(OPEN, sla_due_at=NOW - timedelta(minutes=5))
    shown = "\n".join(texts(blocks.handoff_card(late, now=NOW).blocks))
    assert "⚠️ *Overdue*" in shown


@pytest.mark.parametrize(
    ("decision", "line"),
    [
        (ACCEPTED, f"✅ Accepted by <@{RITA}> at <!date^{int(NOW.timestamp())}^{{time}} on {{date_short}}|"),
        (REJECTED, f"❌ Rejected by <@{RITA}> — No fit: Too small for us"),
        (RECYCLED, f"♻️ Recycled by <@{RITA}> until <!date^"),
    ],
)
def test_decided_card_has_the_decision_instead_of_buttons(decision: DecisionRecord, line: str) -> None:
    card = blocks.handoff_card(decided(decision), now=NOW + timedelta(days=1))
    assert_valid(card.blocks)
    assert not of_type(card.blocks, "actions")
    last = card.blocks[-1]
    assert last["type"] == "context"
    assert last["elements"][0]["text"].startswith(line)
    assert "Overdue" not in "\n".join(texts(card.blocks))


def test_recycled_card_shows_the_date_and_reason() -> None:
    card = blocks.handoff_card(decided(RECYCLED), now=NOW)
    assert card.blocks[-1]["elements"][0]["text"].endswith("|2027-01-15> — Bad timing")
    assert "within the SLA" in "\n".join(texts(card.blocks))


def test_user_values_cannot_mention_or_link() -> None:
    evil = "<@U1> & <!channel>"
    profile = replace(PROFILE, name=evil, title=evil, company="<https://evil.example|Acme>")
    note = DecisionRecord(Decision.REJECT, "other", "<!here> call <@U2>", None, RITA, NOW)
    view = replace(decided(note), profile=profile, trigger=evil)
    card = blocks.handoff_card(view, now=NOW)
    assert_valid(card.blocks)
    for text in [*mrkdwn_texts(card.blocks), card.text, blocks.decision_thread_line(decision=note)]:
        for raw in ("<@U1>", "<!channel>", "<!here>", "<@U2>", "<https://"):
            assert raw not in text
    assert "&lt;@U1&gt; &amp; &lt;!channel&gt;" in card.text
    assert "&lt;!here&gt; call &lt;@U2&gt;" in card.blocks[-1]["elements"][0]["text"]
    assert card.blocks[0]["text"] == {"type": "plain_text", "text": f"SQL · {evil}", "emoji": True}
    assert all(obj["verbatim"] for obj in text_objects(card.blocks, ("mrkdwn",)))


def test_huge_values_are_cut_to_slack_limits() -> None:
    huge = "x" * 10_000
    profile = replace(PROFILE, name=huge, title=huge, company=huge, industry=huge, campaign=huge)
    contributions = tuple(
        Contribution(f"rule{n}", huge, "engagement", 50 - n, 60, 3, NOW - timedelta(hours=n))
        for n in range(40)
    )
    events = card_events(
        [StoredEvent(f"e{n}", f"{n}{huge}", NOW, {"url": huge}, None) for n in range(60)],
        model=MODEL,
        show_personal=True,
    )
    note = DecisionRecord(Decision.REJECT, "other", huge, None, RITA, NOW)
    view = replace(
        decided(note),
        profile=profile,
        score=replace(SCORE, contributions=contributions),
        timeline=events,
        trigger=huge,
    )
    for card in (
        blocks.handoff_card(view, now=NOW),
        blocks.handoff_card(replace(view, status="open", decision=None), now=NOW),
    ):
        assert_valid(card.blocks)
        assert len(card.text) <= 3000
        assert card.blocks[0]["text"]["text"].endswith("…")
        assert lines_before_buttons(card.blocks) <= 13
    assert len(blocks.decision_thread_line(decision=note)) <= 3000
    assert len(blocks.already_decided(note)) <= 3000


def test_truncate() -> None:
    assert blocks.truncate("short", 10) == "short"
    assert blocks.truncate("abcdefgh", 5) == "abcd…"
    assert len(blocks.truncate("y" * 5000, 3000)) == 3000


def test_lookup_card_never_has_buttons() -> None:
    answer = blocks.lead_lookup_blocks(view=OPEN, now=NOW)
    assert_valid(answer)
    assert not of_type(answer, "actions")
    assert "on the card in <#C0SALES001>" in answer[-1]["elements"][0]["text"]
    assert texts(answer)[0] == "New SQL · Ana Ruiz"


def test_lead_summary_without_handoff_shares_the_card_sections() -> None:
    summary = blocks.lead_summary(
        email="ana@acme.io", profile=PROFILE, stage=Stage.MQL, score=SCORE, timeline=TIMELINE, now=NOW
    )
    assert_valid(summary)
    card = blocks.handoff_card(OPEN, now=NOW).blocks
    assert texts(summary[0]) == ["MQL · Ana Ruiz"]
    # the score and the timeline, as on the card (only a card marks the event that made it an SQL)
    assert texts(summary[2])[0] == texts(card[2])[0].replace("🎯 ", "")
    assert "Stage: *MQL*" in summary[-1]["elements"][0]["text"]
    empty = blocks.lead_summary(
        email="new@x.io",
        profile=LeadProfile(email="new@x.io"),
        stage=Stage.LEAD,
        score=Score(0, 0, (), False, NOW),
        timeline=[],
        now=NOW,
    )
    assert_valid(empty)
    shown = "\n".join(texts(empty))
    assert "*Score 0* · fit 0 · engagement 0" in shown
    assert "No engagement yet." in shown


def test_thread_lines() -> None:
    assert blocks.decision_thread_line(decision=ACCEPTED) == f"<@{RITA}> accepted this lead."
    assert blocks.decision_thread_line(decision=REJECTED) == f"<@{RITA}> rejected: No fit — Too small for us"
    recycled = blocks.decision_thread_line(decision=RECYCLED)
    assert recycled.startswith(f"<@{RITA}> recycled until <!date^{int(RECYCLE_UNTIL.timestamp())}^")
    assert recycled.endswith("|2027-01-15>: Bad timing")


def test_already_decided() -> None:
    answer = blocks.already_decided(ACCEPTED)
    assert answer.startswith(f"Already accepted by <@{RITA}> at <!date^{int(NOW.timestamp())}^")
    assert "(No fit)" in blocks.already_decided(REJECTED)


def test_slash_command_texts() -> None:
    help_text = blocks.lead_help()
    for example in ("/lead ana@acme.io", "/lead acme.io", "/lead Ana Ruiz"):
        assert example in help_text
    assert "&lt;!channel&gt;" in blocks.no_lead_found("<!channel>")
    assert "sales channel" in blocks.refusal_not_in_sales_channel()


def test_several_leads_lists_up_to_ten() -> None:
    leads = [
        LeadState(
            id=n,
            email=f"p{n}@acme.io",
            stage=Stage.MQL,
            ledger={},
            profile_values={"name": f"P {n}"},
            score=60 + n,
        )
        for n in range(12)
    ]
    answer = blocks.several_leads_found(query="acme", leads=leads)
    assert answer.count("\n• ") == 10
    assert "• p0@acme.io — P 0 — MQL — score 60" in answer
    assert "p10@acme.io" not in answer


def test_reasons() -> None:
    assert [value for value, _ in REASONS][:3] == ["no_fit", "bad_contact_data", "no_budget"]
    assert len(REASONS) == 9
    assert reason_label("already_customer") == "Already a customer"
    assert reason_label("something_new") == "something_new"


def modal(action: str) -> dict[str, Any]:
    return blocks.decision_modal(
        action=action, handoff_id=7, channel="C0SALES001", message_ts="1.2", lead_name="Ana Ruiz", today=TODAY
    )


def submitted(
    view: dict[str, Any],
    *,
    reason: str | None = "bad_timing",
    note: str | None = None,
    day: str | None = "2027-01-15",
) -> dict[str, Any]:
    """The ``view`` of a view_submission payload, with ``state.values`` as Slack sends them."""
    option = None
    if reason is not None:
        option = {
            "text": {"type": "plain_text", "text": reason_label(reason), "emoji": True},
            "value": reason,
        }
    values: dict[str, Any] = {
        ids.REASON_BLOCK: {ids.REASON_ACTION: {"type": "static_select", "selected_option": option}},
        ids.NOTE_BLOCK: {ids.NOTE_ACTION: {"type": "plain_text_input", "value": note}},
    }
    if view["callback_id"] == ids.RECYCLE_MODAL:
        values[ids.RECYCLE_DATE_BLOCK] = {
            ids.RECYCLE_DATE_ACTION: {"type": "datepicker", "selected_date": day}
        }
    payload: dict[str, Any] = view_submission(view=view, values=values, user=RITA)["view"]
    return payload


@pytest.mark.parametrize("action", ["reject", "recycle"])
def test_modal_is_valid(action: str) -> None:
    built = modal(action)
    View(**built).validate_json()
    assert View(**built).to_dict() == built
    assert built["callback_id"] == {"reject": ids.REJECT_MODAL, "recycle": ids.RECYCLE_MODAL}[action]
    assert json.loads(built["private_metadata"]) == {
        "handoff_id": 7,
        "channel": "C0SALES001",
        "message_ts": "1.2",
        "action": action,
    }
    inputs = {block["block_id"]: block for block in built["blocks"] if block["type"] == "input"}
    assert [o["value"] for o in inputs[ids.REASON_BLOCK]["element"]["options"]] == [v for v, _ in REASONS]
    assert not inputs[ids.REASON_BLOCK].get("optional")
    assert inputs[ids.NOTE_BLOCK]["optional"] is True
    assert inputs[ids.NOTE_BLOCK]["element"]["max_length"] == 1000
    if action == "recycle":
        assert inputs[ids.RECYCLE_DATE_BLOCK]["element"]["initial_date"] == "2027-02-18"
    else:
        assert ids.RECYCLE_DATE_BLOCK not in inputs


def test_modal_escapes_the_lead_name_once() -> None:
    built = blocks.decision_modal(
        action="reject",
        handoff_id=1,
        channel="C1",
        message_ts="1.2",
        lead_name="<!channel> &amp; Co",
        today=TODAY,
    )
    assert "*&lt;!channel&gt; &amp; Co*" in built["blocks"][0]["text"]["text"]


def test_modal_round_trip() -> None:
    recycle = blocks.parse_decision_submission(submitted(modal("recycle"), note="  call in Q2 "), today=TODAY)
    assert recycle == blocks.DecisionInput(
        handoff_id=7,
        channel="C0SALES001",
        message_ts="1.2",
        action="recycle",
        reason="bad_timing",
        note="call in Q2",
        recycle_until=date(2027, 1, 15),
    )
    reject = blocks.parse_decision_submission(submitted(modal("reject"), reason="no_fit"), today=TODAY)
    assert (reject.action, reject.reason, reject.note, reject.recycle_until) == (
        "reject",
        "no_fit",
        None,
        None,
    )


@pytest.mark.parametrize(
    ("action", "changes", "block_id"),
    [
        ("reject", {"reason": None}, ids.REASON_BLOCK),
        ("reject", {"reason": "made_up"}, ids.REASON_BLOCK),
        ("recycle", {"day": None}, ids.RECYCLE_DATE_BLOCK),
        ("recycle", {"day": "2026-11-19"}, ids.RECYCLE_DATE_BLOCK),
        ("recycle", {"day": "not a date"}, ids.RECYCLE_DATE_BLOCK),
    ],
)
def test_submission_errors_name_the_input(action: str, changes: dict[str, Any], block_id: str) -> None:
    with pytest.raises(SubmissionError) as caught:
        blocks.parse_decision_submission(submitted(modal(action), **changes), today=TODAY)
    assert caught.value.block_id == block_id
    assert caught.value.message


def test_today_is_an_accepted_recycle_date() -> None:
    parsed = blocks.parse_decision_submission(submitted(modal("recycle"), day=TODAY.isoformat()), today=TODAY)
    assert parsed.recycle_until == TODAY


@pytest.mark.parametrize(
    "metadata",
    [
        "",
        "not json",
        "[1, 2]",
        json.dumps({"handoff_id": "7", "channel": "C1", "message_ts": "1.2", "action": "reject"}),
        json.dumps({"handoff_id": True, "channel": "C1", "message_ts": "1.2", "action": "reject"}),
        json.dumps({"handoff_id": 7, "channel": "C1", "message_ts": "1.2", "action": "accept"}),
        json.dumps({"handoff_id": 7, "message_ts": "1.2", "action": "reject"}),
        json.dumps({"handoff_id": 7, "channel": "C1", "message_ts": "1.2", "action": "recycle"}),
    ],
)
def test_bad_private_metadata_is_refused(metadata: str) -> None:
    view = submitted(modal("reject")) | {"private_metadata": metadata}
    with pytest.raises(SubmissionError) as caught:
        blocks.parse_decision_submission(view, today=TODAY)
    assert caught.value.block_id == ids.REASON_BLOCK

"""What the lifecycle adds to Slack, as data: returning cards, warnings, history, owner notes, /lead."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.slack import blocks
from bot.slack.blocks_history import lead_history_blocks
from bot.slack.home import home_view
from scoring.facts import EarlierDecision
from scoring.types import Decision
from storage.handoffs import DecisionRecord, HandoffRecord, StageChangeRecord
from storage.signals import StoredSignal
from tests.fakes.slack_state import block_errors, view_errors
from tests.unit.test_blocks import NOW, OPEN, assert_valid, decided, texts

REJECTED_ON = datetime(2026, 9, 2, 15, 30, tzinfo=UTC)
NOTE = "Champion on parental leave; CFO is the real buyer"
REJECTED_EARLIER = EarlierDecision(Decision.REJECT, REJECTED_ON, "URITA", "bad_timing", NOTE)
RECYCLED_EARLIER = EarlierDecision(Decision.RECYCLE, REJECTED_ON, "UBEN", "no_budget", "Budget in Q1")
RETURNING = replace(OPEN, earlier=REJECTED_EARLIER)


def warning(detail: str, ago: timedelta) -> StoredSignal:
    return StoredSignal("card_warning", NOW - ago, detail, f"evt-{detail}", None)


def shown(built: list[dict[str, object]]) -> str:
    return "\n".join(texts(built))


def test_a_returning_card_shows_the_earlier_rejection_its_reason_note_who_and_when() -> None:
    card = blocks.handoff_card(RETURNING, now=NOW)

    assert_valid(card.blocks)
    assert block_errors(card.blocks) == []
    text = shown(card.blocks)
    assert "↩ *Returning lead* — rejected by <@URITA> on <!date^" in text
    assert "|2 Sep> (Bad timing): “Champion on parental leave; CFO is the real buyer”" in text
    assert card.text.startswith("Returning SQL: Ana Ruiz")
    assert blocks.handoff_card(OPEN, now=NOW).text.startswith("New SQL: Ana Ruiz")


def test_a_recycled_lead_coming_back_mentions_the_rep_who_recycled_it() -> None:
    card = blocks.handoff_card(replace(OPEN, earlier=RECYCLED_EARLIER), now=NOW)

    text = shown(card.blocks)
    assert "recycled by <@UBEN>" in text
    assert "(No budget): “Budget in Q1”" in text


def test_the_returning_mark_comes_right_under_who_the_lead_is_and_stays_once_decided() -> None:
    rejected_again = replace(
        decided(DecisionRecord(Decision.REJECT, "no_fit", None, None, "UBEN", NOW)), earlier=REJECTED_EARLIER
    )

    card = blocks.handoff_card(rejected_again, now=NOW)

    assert texts(card.blocks[0]) == ["Returning SQL · Ana Ruiz"]
    assert texts(card.blocks[1])[0].startswith("*VP Sales* at *Acme*")
    assert "Returning lead" in texts(card.blocks[2])[0]
    assert card.text.startswith("Returning SQL")
    assert card.text.endswith("— rejected")
    assert all(block["type"] != "actions" for block in card.blocks)


def test_a_hostile_or_huge_earlier_note_stays_inert_and_within_limits() -> None:
    earlier = replace(REJECTED_EARLIER, note="<!channel> " + "x" * 5000, by="not a user id <@U1>")

    card = blocks.handoff_card(replace(OPEN, earlier=earlier), now=NOW)

    assert block_errors(card.blocks) == []
    text = shown(card.blocks)
    assert "<!channel>" not in text
    assert "&lt;!channel&gt;" in text
    assert "<@U1>" not in text


def test_an_open_card_shows_what_happened_since_it_was_posted() -> None:
    view = replace(OPEN, warnings=(warning("Unsubscribed", timedelta(hours=2)),))

    card = blocks.handoff_card(view, now=NOW)

    assert block_errors(card.blocks) == []
    assert "⚠ *Since this card:* Unsubscribed · 2 h ago" in shown(card.blocks)
    assert [block["type"] for block in card.blocks[-3:]] == ["context", "context", "actions"]
    assert "Since this card" in texts(card.blocks[-3])[0]  # just above the SLA line and the buttons


def test_several_warnings_are_listed_oldest_first_and_escaped() -> None:
    view = replace(
        OPEN,
        warnings=(
            warning("Email bounced", timedelta(hours=3)),
            warning("disqualified <by> a profile change", timedelta(minutes=5)),
        ),
    )

    text = shown(blocks.handoff_card(view, now=NOW).blocks)

    assert "Email bounced · 3 h ago; Disqualified &lt;by&gt; a profile change · 5 min ago" in text


def test_a_history_handoff_has_no_buttons_no_sla_and_says_no_card_was_posted() -> None:
    history = replace(OPEN, status="history", created_at=NOW - timedelta(days=200), channel=None)

    built = blocks.lead_lookup_blocks(view=history, now=NOW)

    text = shown(built)
    assert "📜 *History:* qualified on" in text
    assert "no card was posted" in text
    assert "Respond by" not in text
    assert "Overdue" not in text
    assert all(block["type"] != "actions" for block in built)


def test_the_owner_hears_of_their_accepted_lead_raising_its_hand_again() -> None:
    accepted = decided(DecisionRecord(Decision.ACCEPT, None, None, None, "URITA", NOW - timedelta(days=180)))
    payload = {"detail": "Requested a demo", "owner": "URITA", "at": (NOW - timedelta(hours=2)).isoformat()}

    line = blocks.owner_note_text(view=accepted, payload=payload, now=NOW)

    assert line == "<@URITA> Ana Ruiz (Acme) raised their hand again: requested a demo, 2 h ago"


def test_an_owner_note_with_a_thin_payload_still_reads_well() -> None:
    accepted = decided(DecisionRecord(Decision.ACCEPT, None, None, None, "URITA", NOW))
    nameless = replace(accepted, profile=replace(accepted.profile, name=None, company=None))

    line = blocks.owner_note_text(
        view=nameless, payload={"detail": "hand raised again: contact_sales"}, now=NOW
    )

    assert line == "<@URITA> ana@acme.io raised their hand again: contact sales, just now"


def change(day: int, from_stage: str, to_stage: str, cause: str, reason: str) -> StageChangeRecord:
    return StageChangeRecord(from_stage, to_stage, reason, 60, datetime(2026, 9, day, tzinfo=UTC), cause)


def test_lead_history_shows_each_change_with_its_cause_newest_first() -> None:
    changes = [
        change(1, "lead", "sql", "hand_raise", "hand raised: demo_request"),
        change(2, "sql", "rejected", "decision", "sales decision: reject"),
        change(3, "rejected", "sql", "hand_raise", "hand raised: contact_sales"),
    ]

    (history,) = lead_history_blocks(stage_changes=changes, handoffs=[], signals=[])

    lines = texts(history)[0].splitlines()
    assert lines[0] == "*Stage history*"
    assert "REJECTED → *SQL* — hand raised: contact_sales (hand-raise)" in lines[1]
    assert "SQL → *REJECTED* — sales decision: reject" in lines[2]
    assert lines[2].endswith("reject")  # the cause is not said twice


def test_a_long_history_shows_the_latest_changes_and_counts_the_rest() -> None:
    changes = [change(1 + n % 28, "lead", "mql", "score", f"score {n}") for n in range(30)]

    (history,) = lead_history_blocks(stage_changes=changes, handoffs=[], signals=[])

    assert texts(history)[0].endswith("… and 22 earlier")
    assert block_errors([history]) == []


def handoff(handoff_id: int, status: str, **extra: object) -> HandoffRecord:
    moment = datetime(2026, 9, handoff_id, tzinfo=UTC)
    base = HandoffRecord(handoff_id, 1, "hand raised", status, None, None, moment, moment, None)
    return replace(base, **extra)  # type: ignore[arg-type]


def test_lead_history_lists_history_returning_and_decided_handoffs_and_the_signals() -> None:
    earlier = {"action": "reject", "at": REJECTED_ON.isoformat(), "by": "URITA", "reason": None, "note": None}
    handoffs = [
        handoff(1, "history"),
        handoff(
            2, "rejected", decision=DecisionRecord(Decision.REJECT, "bad_timing", None, None, "URITA", NOW)
        ),
        handoff(3, "open", earlier=earlier, episode=3),
    ]
    signals = [
        StoredSignal("hand_raise_below_fit", NOW, "demo_request: fit -25 < -20", "e1", None),
        StoredSignal("owner_hand_raise", NOW, "Requested a demo", "e2", "URITA"),
    ]

    built = lead_history_blocks(stage_changes=[], handoffs=handoffs, signals=signals)

    assert block_errors(built) == []
    handoff_lines, signal_lines = (texts(block)[0].splitlines() for block in built)
    assert "open card · ↩ returning: rejected by <@URITA>" in handoff_lines[1]
    assert "rejected by <@URITA> (Bad timing)" in handoff_lines[2]
    assert "📜 history" in handoff_lines[3]
    assert "Owner told of a hand-raise — Requested a demo (<@URITA>)" in signal_lines[1]
    assert "Hand-raise below fit — demo_request: fit -25 &lt; -20" in signal_lines[2]


def test_home_marks_a_returning_lead_among_those_waiting() -> None:
    view = home_view(waiting=[RETURNING, OPEN], mine=[], now=NOW)

    assert view_errors(view) == []
    headlines = [text for text in texts(view["blocks"]) if "Ana Ruiz" in text]
    assert headlines[0].startswith("↩ *Returning* · *Ana Ruiz*")
    assert not headlines[1].startswith("↩")

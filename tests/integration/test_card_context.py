"""What a card tells a rep beyond the lead itself, gathered from storage on both databases: the event
that made the SQL with its campaign and properties, the account's other people, earlier handoffs."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.runtime import Runtime
from bot.services.cards import CardView, card_view
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.leads import lead_report
from bot.slack import blocks
from bot.slack.card_lines import lines_before_buttons
from scoring import Decision
from tests.builders import FIT_LEAD, parsed
from tests.fakes.slack_state import block_errors
from tests.unit.test_blocks import assert_valid, texts

T0 = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)
ANA = "ana@acme.io"
DEMO_FORM = {"form": "book-a-demo", "message": "40 reps, evaluating vs Chili Piper, live by March"}
_ids = itertools.count(1)


def happened(
    when: datetime, type: str = "page_view", *, email: str = ANA, **properties: Any
) -> dict[str, Any]:
    return {
        "event_id": f"ctx-{next(_ids)}",
        "email": email,
        "type": type,
        "occurred_at": when.isoformat(),
        "properties": properties or ({"url": "/pricing"} if type == "page_view" else {}),
    }


def with_profile(event: dict[str, Any], **profile: Any) -> dict[str, Any]:
    return event | {"lead": FIT_LEAD | profile}


def book_demo(runtime: Runtime, at: datetime, *, email: str = ANA, **extra: Any) -> None:
    runtime.ingest(
        parsed(
            with_profile(happened(at - timedelta(hours=2), email=email), campaign="spring-webinar"),
            with_profile(
                happened(at, "demo_request", email=email, **DEMO_FORM, **extra), campaign="q4-launch"
            ),
        ),
        now=at,
    )


def latest_card(
    runtime: Runtime, now: datetime, *, email: str = ANA, show_personal: bool = False
) -> CardView:
    report = lead_report(uow=runtime.uow(), email=email, model=runtime.model, now=now)
    assert report is not None
    assert report.handoffs
    with runtime.read_uow() as uow:
        view = card_view(
            uow=uow, handoff=report.handoffs[-1], model=runtime.model, now=now, show_personal=show_personal
        )
    assert view is not None
    return view


def card_text(view: CardView, now: datetime) -> str:
    card = blocks.handoff_card(view, now=now)
    assert_valid(card.blocks)
    assert block_errors(card.blocks) == []
    assert lines_before_buttons(card.blocks) <= 13
    return "\n".join(texts(card.blocks))


def decide(runtime: Runtime, action: Decision, *, user: str, at: datetime, **extra: Any) -> None:
    report = lead_report(uow=runtime.uow(), email=ANA, model=runtime.model, now=at)
    assert report is not None
    request = DecisionRequest(handoff_id=report.handoffs[-1].id, action=action, user_id=user, **extra)
    outcome = record_decision(
        uow=runtime.uow(), request=request, model=runtime.model, policy=runtime.policy, now=at
    )
    assert outcome.recorded


def test_the_card_names_the_demo_request_its_form_message_and_campaign(runtime: Runtime) -> None:
    book_demo(runtime, T0, phone="+1 555 0100")
    now = T0 + timedelta(hours=1)

    view = latest_card(runtime, now)
    text = card_text(view, now)

    assert view.campaign == "q4-launch"
    assert "*Booked a demo* · campaign *q4-launch*" in text
    assert (
        "• 🎯 Booked a demo — *book-a-demo*: “40 reps, evaluating vs Chili Piper, live by March” · 1 h ago"
        in text
    )
    assert "+1 555 0100" not in text
    assert "+1 555 0100" in card_text(latest_card(runtime, now, show_personal=True), now)


def test_the_account_line_names_colleagues_who_engaged_in_the_last_30_days(runtime: Runtime) -> None:
    colleagues = [("bo@acme.io", "Bo Lee", 1), ("cy@acme.io", "Cy <!channel> Diaz", 2)]
    colleagues += [
        ("di@acme.io", "Di Fox", 3),
        ("ed@acme.io", "Ed Gray", 4),
        ("old@acme.io", "Old Timer", 40),
    ]
    for email, name, days_ago in colleagues:
        event = happened(T0 - timedelta(days=days_ago), email=email)
        runtime.ingest(parsed(event | {"lead": {"name": name}}), now=T0)
    runtime.ingest(parsed(happened(T0, email="someone@other.io")), now=T0)
    book_demo(runtime, T0)

    view = latest_card(runtime, T0)
    text = card_text(view, T0)

    assert view.account is not None
    assert view.account.total == 4
    assert (
        "🏢 *acme.io:* Bo Lee (Lead), Cy &lt;!channel&gt; Diaz (Lead), Di Fox (Lead) +1 more"
        " engaged in the last 30 days" in text
    )
    assert "Old Timer" not in text
    assert "<!channel>" not in text


def test_a_free_mail_address_has_no_account(runtime: Runtime) -> None:
    runtime.ingest(parsed(happened(T0 - timedelta(days=1), email="someone@gmail.com")), now=T0)
    book_demo(runtime, T0, email="ana.ruiz@gmail.com")

    view = latest_card(runtime, T0, email="ana.ruiz@gmail.com")

    assert view.account is None
    assert "🏢" not in card_text(view, T0)


def test_a_lead_back_a_third_time_shows_every_earlier_decision_on_one_line(runtime: Runtime) -> None:
    book_demo(runtime, T0)
    decide(runtime, Decision.REJECT, user="URITA", at=T0 + timedelta(hours=1), reason="bad_timing", note="Q3")
    second = T0 + timedelta(days=60)
    runtime.ingest(parsed(happened(second, "demo_request", **DEMO_FORM)), now=second)
    decide(
        runtime,
        Decision.RECYCLE,
        user="UBEN",
        at=second + timedelta(hours=1),
        reason="no_budget",
        note="Budget in Q1",
        recycle_until=second + timedelta(days=30),
    )
    third = second + timedelta(days=5)
    runtime.ingest(parsed(happened(third, "contact_sales", message="ready now")), now=third)

    view = latest_card(runtime, third)
    text = card_text(view, third)

    assert [(d.action, d.by) for d in view.earlier_handoffs] == [
        (Decision.RECYCLE, "UBEN"),
        (Decision.REJECT, "URITA"),
    ]
    blocks_ = blocks.handoff_card(view, now=third).blocks
    assert texts(blocks_[0]) == ["Returning SQL · Ana Ruiz"]
    (line,) = [t for t in texts(blocks_) if t.startswith("↩")]
    assert "\n" not in line
    assert line.startswith("↩ *Returning lead* — recycled by <@UBEN> on <!date^")
    assert "(No budget): “Budget in Q1”; before: rejected by <@URITA> on <!date^" in line
    assert line.endswith("(Bad timing): “Q3”")
    assert "*Contacted sales*" in text


def test_a_busy_lead_with_every_event_type_still_fits_the_budget(runtime: Runtime) -> None:
    every_type = [
        ("page_view", {"url": "/pricing/" + "x" * 500}),
        ("email_open", {"subject": "Your <!channel> guide"}),
        ("email_click", {"url": "<https://evil.example|click>"}),
        ("content_download", {"asset": "State of Sales 2026"}),
        ("newsletter_signup", {}),
        ("webinar_registered", {"webinar": "Pipeline hygiene"}),
        ("webinar_attended", {"webinar": "Pipeline hygiene"}),
        ("form_submit", {"form": "contact-us"}),
        ("trial_signup", {"plan": "team"}),
        ("product_active", {"feature": "routing"}),
        ("something_new", {"url": "/new"}),
    ]
    events = [
        happened(T0 - timedelta(hours=3 * n + 1), type, **props)
        for n, (type, props) in enumerate(every_type * 4)
    ]
    runtime.ingest(parsed(*events), now=T0)
    book_demo(runtime, T0, phone="+1 555 0100")

    text = card_text(latest_card(runtime, T0), T0)

    assert "<!channel>" not in text
    assert "<https://" not in text
    assert "_Before that:_" in text

"""The lifecycle as reps see it, through the services: returning cards, warnings, owner notes,
history handoffs, and the lead views (``GET /v1/leads``, ``handoff lead``, ``/lead``, App Home)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from sqlalchemy import select

from bot.runtime import Runtime
from bot.services.cards import CardView, card_view, home_views
from bot.services.decisions import DecisionRequest, record_decision
from bot.services.leads import LeadReport, lead_report
from bot.services.ticks import pass_time
from bot.slack.lookup import lead_lookup_answer
from bot.terminal.render import lead_panel
from scoring import Decision
from storage.tables import OutboxRow
from tests.builders import FIT_LEAD, parsed
from tests.fakes.slack_state import block_errors

T0 = datetime(2026, 3, 2, 15, 30, tzinfo=UTC)  # events may not be in the future
EMAIL = "ana@acme.io"
NOTE = "Champion on parental leave; CFO is the real buyer"
_ids = itertools.count(1)


def happened(when: datetime, type: str = "page_view", **extra: Any) -> dict[str, Any]:
    return {
        "event_id": f"life-{next(_ids)}",
        "email": EMAIL,
        "type": type,
        "occurred_at": when.isoformat(),
        "properties": {"url": "/pricing"} if type == "page_view" else {},
    } | extra


def make_sql(runtime: Runtime, at: datetime) -> None:
    batch = [happened(at - timedelta(minutes=5), lead=FIT_LEAD), happened(at, "demo_request")]
    assert runtime.ingest(parsed(*batch), now=at).stage_changes["sql"] == 1


def report(runtime: Runtime, now: datetime) -> LeadReport:
    found = lead_report(uow=runtime.uow(), email=EMAIL, model=runtime.model, now=now)
    assert found is not None
    return found


def view_of(runtime: Runtime, handoff_index: int, now: datetime) -> CardView:
    handoff = report(runtime, now).handoffs[handoff_index]
    with runtime.read_uow() as uow:
        view = card_view(uow=uow, handoff=handoff, model=runtime.model, now=now)
    assert view is not None
    return view


def decide(runtime: Runtime, action: Decision, *, user: str, at: datetime, **extra: Any) -> None:
    handoff = report(runtime, at).handoffs[-1]
    request = DecisionRequest(handoff_id=handoff.id, action=action, user_id=user, **extra)
    outcome = record_decision(
        uow=runtime.uow(), request=request, model=runtime.model, policy=runtime.policy, now=at
    )
    assert outcome.recorded


def outbox_kinds(runtime: Runtime) -> list[str]:
    with runtime.read_uow() as uow:
        return list(uow.session.execute(select(OutboxRow.kind).order_by(OutboxRow.id)).scalars())


def test_a_rejected_lead_raising_its_hand_60_days_later_gets_a_returning_card(runtime: Runtime) -> None:
    make_sql(runtime, T0)
    decide(runtime, Decision.REJECT, user="URITA", at=T0 + timedelta(hours=1), reason="bad_timing", note=NOTE)
    later = T0 + timedelta(days=60)

    runtime.ingest(parsed(happened(later, "demo_request")), now=later)

    returning = view_of(runtime, -1, later)
    assert returning.is_open
    assert returning.earlier is not None
    assert (returning.earlier.action, returning.earlier.by) == (Decision.REJECT, "URITA")
    assert (returning.earlier.reason, returning.earlier.note) == ("bad_timing", NOTE)
    assert returning.earlier.at == T0 + timedelta(hours=1)
    assert outbox_kinds(runtime).count("handoff_card") == 2


def test_the_lead_json_shows_causes_moments_and_the_earlier_decision(runtime: Runtime) -> None:
    make_sql(runtime, T0)
    decide(runtime, Decision.REJECT, user="URITA", at=T0 + timedelta(hours=1), reason="bad_timing", note=NOTE)
    later = T0 + timedelta(days=60)
    runtime.ingest(parsed(happened(later, "demo_request")), now=later)

    data = report(runtime, later).as_dict()

    moves = [(c["from_stage"], c["to_stage"], c["cause"]) for c in data["stage_changes"]]
    assert moves == [
        ("lead", "mql", "score"),
        ("mql", "sql", "hand_raise"),
        ("sql", "rejected", "decision"),
        ("rejected", "sql", "hand_raise"),
    ]
    assert data["stage_changes"][-1]["changed_at"] == later.isoformat()
    assert data["stage_changes"][-1]["recorded_at"] == later.isoformat()
    first, second = data["handoffs"]
    assert first["earlier"] is None
    assert (first["status"], first["decision"]["reason"]) == ("rejected", "bad_timing")
    assert (second["status"], second["episode"]) == ("open", 2)
    assert second["earlier"] | {"at": None} == {
        "action": "reject",
        "at": None,
        "by": "URITA",
        "reason": "bad_timing",
        "note": NOTE,
    }


def test_an_open_card_whose_lead_unsubscribes_shows_the_warning(runtime: Runtime) -> None:
    make_sql(runtime, T0)
    later = T0 + timedelta(hours=2)

    runtime.ingest(parsed(happened(later, "unsubscribe")), now=later)

    view = view_of(runtime, -1, later)
    assert [(w.detail, w.at) for w in view.warnings] == [("Unsubscribed", later)]
    assert outbox_kinds(runtime) == ["handoff_card", "card_update"]
    signals = report(runtime, later).as_dict()["signals"]
    assert [(s["kind"], s["detail"]) for s in signals] == [("card_warning", "Unsubscribed")]


def test_a_warning_after_the_decision_is_not_shown_on_the_decided_card(runtime: Runtime) -> None:
    make_sql(runtime, T0)
    decide(runtime, Decision.ACCEPT, user="URITA", at=T0 + timedelta(hours=1))
    later = T0 + timedelta(hours=3)

    runtime.ingest(parsed(happened(later, "email_bounce")), now=later)

    assert view_of(runtime, -1, later).warnings == ()


def test_an_accepted_lead_raising_its_hand_again_queues_a_note_to_its_owner_not_a_card(
    runtime: Runtime,
) -> None:
    make_sql(runtime, T0)
    decide(runtime, Decision.ACCEPT, user="URITA", at=T0 + timedelta(hours=1))
    later = T0 + timedelta(days=180)

    runtime.ingest(parsed(happened(later, "demo_request")), now=later)

    columns = (OutboxRow.handoff_id, OutboxRow.payload)
    with runtime.read_uow() as uow:
        note = uow.session.execute(select(*columns).where(OutboxRow.kind == "owner_note")).one()
    accepted = report(runtime, later).handoffs
    assert len(accepted) == 1
    assert note.handoff_id == accepted[0].id
    assert note.payload == {"detail": "Requested a demo", "owner": "URITA", "at": later.isoformat()}
    assert outbox_kinds(runtime).count("handoff_card") == 1


def test_a_recycled_lead_is_back_in_nurture_once_its_date_passes(runtime: Runtime) -> None:
    make_sql(runtime, T0)
    until = T0 + timedelta(days=30)
    decide(runtime, Decision.RECYCLE, user="UBEN", at=T0 + timedelta(hours=1), recycle_until=until)

    pass_time(
        uow_factory=runtime.uow, model=runtime.model, policy=runtime.policy, now=until + timedelta(hours=1)
    )

    lead = report(runtime, until).as_dict()
    assert lead["stage"] in ("lead", "mql")
    assert lead["stage_changes"][-1]["cause"] == "recycle_date"
    assert lead["stage_changes"][-1]["changed_at"] == until.isoformat()


def import_old_sql(runtime: Runtime) -> datetime:
    long_ago = T0 - timedelta(days=200)
    batch = [happened(long_ago - timedelta(minutes=5), lead=FIT_LEAD), happened(long_ago, "demo_request")]
    runtime.ingest(parsed(*batch), now=T0)
    return long_ago


def test_an_imported_sql_is_history_home_does_not_list_it_and_lookups_say_so(runtime: Runtime) -> None:
    long_ago = import_old_sql(runtime)

    waiting, _ = home_views(uow=runtime.read_uow(), user_id="URITA", model=runtime.model, now=T0)
    text, built = lead_lookup_answer(runtime=runtime, query=EMAIL, now=T0)

    assert waiting == []
    (handoff,) = report(runtime, T0).as_dict()["handoffs"]
    assert (handoff["status"], handoff["created_at"]) == ("history", long_ago.isoformat())
    assert outbox_kinds(runtime) == []
    assert block_errors(built) == []
    shown = "\n".join(str(block) for block in built)
    assert "no card waiting" in shown
    assert "📜 history" in shown
    assert "MQL → *SQL* — hand raised: demo_request (hand-raise)" in shown
    assert "SQL → *MQL* — qualified before anyone saw it: history, no card" in shown
    assert text.startswith(f"{EMAIL}: ")


def test_home_lists_the_open_card_but_not_the_history_one(runtime: Runtime) -> None:
    import_old_sql(runtime)
    runtime.ingest(parsed(happened(T0, "contact_sales")), now=T0)

    waiting, _ = home_views(uow=runtime.read_uow(), user_id="URITA", model=runtime.model, now=T0)

    assert [view.status for view in waiting] == ["open"]
    assert [h.status for h in report(runtime, T0).handoffs] == ["history", "open"]


def test_lead_lookup_of_a_returning_lead_shows_its_card_and_its_lifecycle(runtime: Runtime) -> None:
    make_sql(runtime, T0)
    decide(runtime, Decision.REJECT, user="URITA", at=T0 + timedelta(hours=1), reason="bad_timing", note=NOTE)
    later = T0 + timedelta(days=60)
    runtime.ingest(parsed(happened(later, "demo_request")), now=later)

    _, built = lead_lookup_answer(runtime=runtime, query=EMAIL, now=later)

    assert block_errors(built) == []
    shown = "\n".join(str(block) for block in built)
    assert "↩ *Returning lead* — rejected by <@URITA>" in shown
    assert "*Stage history*" in shown
    assert "open card · ↩ returning: rejected by <@URITA>" in shown


def test_handoff_lead_shows_the_history_with_causes_the_handoffs_and_the_signals(runtime: Runtime) -> None:
    make_sql(runtime, T0)
    decide(runtime, Decision.REJECT, user="URITA", at=T0 + timedelta(hours=1), reason="bad_timing", note=NOTE)
    later = T0 + timedelta(days=60)
    runtime.ingest(
        parsed(happened(later, "demo_request"), happened(later + timedelta(minutes=1), "unsubscribe")),
        now=later + timedelta(minutes=1),
    )
    console = Console(record=True, width=220)

    console.print(lead_panel(report(runtime, later), now=later))

    text = console.export_text()
    assert "Stage history" in text
    assert "REJECTED → SQL" in text
    assert "sales decision" in text
    assert "hand-raise" in text
    assert "returning: rejected by URITA (Bad timing): “Champion on parental leave" in text
    assert "Warning on the card" in text


def test_a_lead_expired_after_fading_shows_it_in_its_views(runtime: Runtime) -> None:
    batch = [happened(T0, lead=FIT_LEAD), happened(T0 + timedelta(minutes=1), "webinar_attended")]
    runtime.ingest(parsed(*batch), now=T0 + timedelta(minutes=1))
    assert report(runtime, T0).lead.stage == "mql"
    much_later = T0 + timedelta(days=400)

    pass_time(uow_factory=runtime.uow, model=runtime.model, policy=runtime.policy, now=much_later)

    data = report(runtime, much_later).as_dict()
    assert data["stage"] == "expired"
    assert data["stage_changes"][-1]["cause"] == "faded"
    _, built = lead_lookup_answer(runtime=runtime, query=EMAIL, now=much_later)
    assert "Stage: *EXPIRED*" in str(built)

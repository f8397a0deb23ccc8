"""The Slack flow over both transports (signed HTTP requests, Socket Mode envelopes): cards posted
once, decisions, modals, /lead; and what only HTTP has: signatures and Slack's retry headers."""

from __future__ import annotations

import json
import threading
import time
from typing import Any, Protocol

import httpx
from slack_bolt import Ack

from bot.slack import ids
from bot.slack.card_lines import lines_before_buttons
from tests.builders import FIT_LEAD, event
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, Served, wait_until
from tests.e2e.transport import Acked, HttpTransport, Transport
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import (
    block_action,
    interactive,
    signed,
    slash_command,
    slash_command_fields,
    view_submission,
)


class HasUrl(Protocol):
    url: str


def make_sql(served: HasUrl, email: str = "ana@acme.io") -> None:
    answer = httpx.post(
        f"{served.url}/v1/events?wait=10",
        json=[event(email, lead=FIT_LEAD), event(email, "demo_request")],
        headers=AUTH,
        timeout=15,
    )
    assert answer.json()["stage_changes"] == {"sql": 1}


def posted_cards(fake: FakeSlack) -> list[Any]:
    return [call for call in fake.calls("chat.postMessage") if not call.params.get("thread_ts")]


def card_ts(fake: FakeSlack) -> str:
    return str(wait_until(lambda: posted_cards(fake), what="the handoff card")[0].response["ts"])


def handoff_id_of(fake: FakeSlack) -> int:
    card = wait_until(lambda: posted_cards(fake), what="the handoff card")[0]
    metadata = card.params["metadata"]
    metadata = json.loads(metadata) if isinstance(metadata, str) else metadata
    return int(metadata["event_payload"]["handoff_id"])


def card_blocks(fake: FakeSlack) -> list[dict[str, Any]]:
    blocks = wait_until(lambda: posted_cards(fake), what="the handoff card")[0].params["blocks"]
    return json.loads(blocks) if isinstance(blocks, str) else blocks  # type: ignore[no-any-return]


def click(via: Transport, fake: FakeSlack, action_id: str, user: str) -> Acked:
    payload = block_action(
        action_id=action_id,
        value=str(handoff_id_of(fake)),
        user=user,
        channel=SALES_CHANNEL,
        message_ts=card_ts(fake),
    )
    payload["message"]["blocks"] = card_blocks(fake)  # Slack sends the card the button is on
    return via.interactive(payload)


def lead_json(served: HasUrl, email: str = "ana@acme.io") -> dict[str, Any]:
    return httpx.get(f"{served.url}/v1/leads/{email}", headers=AUTH).json()  # type: ignore[no-any-return]


def test_new_sql_produces_exactly_one_valid_card(
    served: Served, fake_slack: FakeSlack, transport: Transport
) -> None:
    make_sql(served)

    cards = wait_until(lambda: posted_cards(fake_slack), what="the handoff card")
    time.sleep(0.3)  # give a duplicate every chance to appear

    assert len(posted_cards(fake_slack)) == 1
    assert cards[0].params["channel"] == SALES_CHANNEL
    assert "Ana Ruiz" in cards[0].params["text"]
    assert fake_slack.invalid_blocks == []
    blocks = card_blocks(fake_slack)
    assert blocks[0]["text"]["text"] == "New SQL · Ana Ruiz"
    assert "*VP Sales* at *Acme*, 250 employees  —  *Booked a demo*" in blocks[1]["text"]["text"]
    assert lines_before_buttons(blocks) <= 13
    handoffs = lead_json(served)["handoffs"]
    assert handoffs[0]["message_ts"] is not None


def test_accept_updates_the_card_in_place_and_threads_a_line(
    served: Served, fake_slack: FakeSlack, transport: Transport
) -> None:
    make_sql(served)

    answer = click(transport, fake_slack, ids.ACCEPT, "URITA")

    assert (answer.status, answer.payload) == (200, None)
    update = wait_until(lambda: fake_slack.calls("chat.update"), what="the card update")[0]
    rendered = json.dumps(update.params["blocks"], ensure_ascii=False)
    assert "URITA" in rendered
    assert ids.ACCEPT not in rendered
    assert '"SQL · Ana Ruiz"' in rendered
    thread = wait_until(
        lambda: [c for c in fake_slack.calls("chat.postMessage") if c.params.get("thread_ts")],
        what="the thread line",
    )
    assert "URITA" in thread[0].params["text"]
    lead = lead_json(served)
    assert lead["stage"] == "accepted"
    assert lead["handoffs"][0]["decision"]["decided_by"] == "URITA"


def test_reject_opens_a_modal_and_records_the_reason_on_submit(
    served: Served, fake_slack: FakeSlack, transport: Transport
) -> None:
    make_sql(served)

    assert click(transport, fake_slack, ids.REJECT, "UBEN").status == 200
    modal = wait_until(lambda: fake_slack.calls("views.open"), what="the modal")[0].params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert "Rejecting *Ana Ruiz*." in json.dumps(modal, ensure_ascii=False)  # the name, not the header
    values = {
        ids.REASON_BLOCK: {
            ids.REASON_ACTION: {
                "type": "static_select",
                "selected_option": {"value": "no_fit", "text": {"type": "plain_text", "text": "No fit"}},
            }
        },
        ids.NOTE_BLOCK: {ids.NOTE_ACTION: {"type": "plain_text_input", "value": "B2C shop"}},
    }
    submitted = transport.interactive(view_submission(view=modal, values=values, user="UBEN"))

    assert submitted.status == 200
    assert "errors" not in (submitted.payload or {})
    decision = lead_json(served)["handoffs"][0]["decision"]
    assert (decision["action"], decision["reason"], decision["note"]) == ("reject", "no_fit", "B2C shop")
    update = wait_until(lambda: fake_slack.calls("chat.update"), what="the card update")[0]
    assert "No fit" in json.dumps(update.params["blocks"])


def test_recycle_modal_without_a_date_is_refused_in_the_modal(
    served: Served, fake_slack: FakeSlack, transport: Transport
) -> None:
    make_sql(served)
    click(transport, fake_slack, ids.RECYCLE, "UBEN")
    modal = wait_until(lambda: fake_slack.calls("views.open"), what="the modal")[0].params["view"]
    modal = json.loads(modal) if isinstance(modal, str) else modal
    assert "Sending *Ana Ruiz* back" in json.dumps(modal, ensure_ascii=False)  # the name, not the header
    values = {
        ids.REASON_BLOCK: {
            ids.REASON_ACTION: {"type": "static_select", "selected_option": {"value": "bad_timing"}}
        },
        ids.NOTE_BLOCK: {ids.NOTE_ACTION: {"type": "plain_text_input", "value": None}},
        ids.RECYCLE_DATE_BLOCK: {ids.RECYCLE_DATE_ACTION: {"type": "datepicker", "selected_date": None}},
    }

    answer = transport.interactive(view_submission(view=modal, values=values, user="UBEN"))

    assert answer.payload is not None
    assert answer.payload["response_action"] == "errors"
    assert ids.RECYCLE_DATE_BLOCK in answer.payload["errors"]
    assert lead_json(served)["handoffs"][0]["decision"] is None


def test_someone_outside_the_sales_channel_is_refused_privately(
    served: Served, fake_slack: FakeSlack, transport: Transport
) -> None:
    make_sql(served)

    assert click(transport, fake_slack, ids.ACCEPT, "UOUTSIDER").status == 200

    refusal = wait_until(lambda: fake_slack.calls("chat.postEphemeral"), what="the refusal")[0]
    assert refusal.params["user"] == "UOUTSIDER"
    assert lead_json(served)["handoffs"][0]["status"] == "open"


def test_a_late_click_is_told_who_decided(served: Served, fake_slack: FakeSlack) -> None:
    http = HttpTransport(served.url)
    make_sql(served)
    click(http, fake_slack, ids.ACCEPT, "URITA")
    wait_until(lambda: lead_json(served)["handoffs"][0]["decision"], what="the first decision")

    click(http, fake_slack, ids.ACCEPT, "UBEN")

    notice = wait_until(lambda: fake_slack.calls("chat.postEphemeral"), what="the notice")[0]
    assert notice.params["user"] == "UBEN"
    assert "URITA" in notice.params["text"]


def test_two_reps_clicking_at_once_make_one_decision(served: Served, fake_slack: FakeSlack) -> None:
    make_sql(served)
    handoff_id_of(fake_slack)
    start = threading.Barrier(2)
    answers: list[int] = []

    def rep(user: str) -> None:
        start.wait()
        answers.append(click(HttpTransport(served.url), fake_slack, ids.ACCEPT, user).status)

    threads = [threading.Thread(target=rep, args=(user,)) for user in ("URITA", "UBEN")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert answers == [200, 200]
    notice = wait_until(lambda: fake_slack.calls("chat.postEphemeral"), what="the loser's notice")
    decided_by = lead_json(served)["handoffs"][0]["decision"]["decided_by"]
    assert notice[0].params["user"] != decided_by
    assert len(fake_slack.calls("chat.postEphemeral")) == 1


def lead(via: Transport, fake: FakeSlack, text: str, user: str = "URITA") -> tuple[Acked, Any]:
    """Run ``/lead TEXT``: the ack, and the answer posted to the command's response_url (if any)."""
    before = len(fake.responses())
    ack = via.command(slash_command_fields(text=text, user=user, response_url=fake.response_url))
    if ack.payload is not None:  # answered in the ack itself (help)
        return ack, ack.payload
    return ack, wait_until(lambda: fake.responses()[before:], what="the /lead answer")[0]


def test_lead_command_acks_at_once_and_answers_privately(
    served: Served, fake_slack: FakeSlack, transport: Transport
) -> None:
    make_sql(served)

    found_ack, found = lead(transport, fake_slack, "ana@acme.io")
    _, by_domain = lead(transport, fake_slack, "acme.io")
    _, by_last_name = lead(transport, fake_slack, "ruiz")
    _, help_text = lead(transport, fake_slack, "")
    _, unknown = lead(transport, fake_slack, "ghost@nowhere.io")
    _, outsider = lead(transport, fake_slack, "ana@acme.io", user="UOUTSIDER")

    assert (found_ack.status, found_ack.payload) == (200, None)
    assert found["response_type"] == "ephemeral"
    assert "Ana Ruiz" in json.dumps(found["blocks"])
    assert "Ana Ruiz" in json.dumps(by_domain)
    assert "Ana Ruiz" in json.dumps(by_last_name)
    assert help_text["response_type"] == "ephemeral"
    assert "/lead" in help_text["text"]
    assert "ghost@nowhere.io" in unknown["text"]
    assert "Ana Ruiz" not in json.dumps(outsider)
    assert "Only members of the sales channel" in outsider["text"]
    assert fake_slack.invalid_blocks == []


def test_lead_wildcards_and_overlong_queries_get_one_sentence(served: Served, fake_slack: FakeSlack) -> None:
    make_sql(served)

    http = HttpTransport(served.url)
    answers = {text: lead(http, fake_slack, text)[1]["text"] for text in ("%", "_", "\\", "a" * 100_000)}

    assert answers["%"].startswith("No lead found for “%”")
    assert answers["_"].startswith("No lead found for “_”")
    assert answers["\\"].startswith("No lead found")
    assert answers["a" * 100_000].startswith("That search is too long")


def test_forged_and_stale_signatures_are_refused(served: Served, fake_slack: FakeSlack) -> None:
    body, headers = slash_command(text="ana@acme.io", user="URITA")
    forged = dict(headers, **{"X-Slack-Signature": "v0=" + "0" * 64})
    stale_body, stale_headers = signed(body.decode(), timestamp=int(time.time()) - 10 * 60)

    assert served.post("/slack/events", body, forged).status_code == 401
    assert served.post("/slack/events", stale_body, stale_headers).status_code == 401
    assert served.post("/slack/events", body, headers).status_code == 200


def test_tampered_and_malformed_payloads_change_nothing(served: Served, fake_slack: FakeSlack) -> None:
    make_sql(served)
    ts = card_ts(fake_slack)

    def press(value: str) -> int:
        payload = block_action(
            action_id=ids.ACCEPT, value=value, user="URITA", channel=SALES_CHANNEL, message_ts=ts
        )
        return served.post("/slack/events", *interactive(payload)).status_code

    statuses = [press("not-a-number"), press("999999")]
    not_json = served.post("/slack/events", *signed("payload=%7Bnot+json"))
    forged_not_json = served.post("/slack/events", *signed("payload=%7Bnot+json", secret="wrong"))
    no_payload = served.post("/slack/events", *signed("nothing=here"))

    assert statuses == [200, 200]
    assert (not_json.status_code, not_json.text) == (400, "malformed Slack payload")
    assert forged_not_json.status_code == 401
    assert no_payload.status_code < 500
    notices = wait_until(lambda: fake_slack.calls("chat.postEphemeral")[1:], what="two private notices")
    texts = [call.params["text"] for call in fake_slack.calls("chat.postEphemeral")]
    assert texts == ["That button is not from a Handoff card.", "That handoff no longer exists."]
    assert all(call.params["user"] == "URITA" for call in notices)
    lead = lead_json(served)
    assert lead["stage"] == "sql"
    assert lead["handoffs"][0]["decision"] is None
    assert fake_slack.calls("chat.update") == []


def test_slack_faults_delay_the_card_but_lose_nothing(served: Served, fake_slack: FakeSlack) -> None:
    fake_slack.fail_next("chat.postMessage", status=429, retry_after=1)
    fake_slack.fail_next("chat.postMessage", status=503)

    make_sql(served)

    wait_until(lambda: posted_cards(fake_slack), timeout=20, what="the card after the faults")
    time.sleep(0.3)
    assert len(posted_cards(fake_slack)) == 1


def test_a_slack_retry_is_acknowledged_and_not_acted_on(served: Served, fake_slack: FakeSlack) -> None:
    make_sql(served)
    body, headers = interactive(
        block_action(
            action_id=ids.ACCEPT,
            value=str(handoff_id_of(fake_slack)),
            user="URITA",
            channel=SALES_CHANNEL,
            message_ts=card_ts(fake_slack),
        )
    )

    retried = served.post(
        "/slack/events", body, headers | {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )

    assert retried.status_code == 200
    time.sleep(0.3)
    assert lead_json(served)["handoffs"][0]["status"] == "open"


def test_every_listener_acknowledges_exactly_once(served: Served, fake_slack: FakeSlack) -> None:
    acks: list[Any] = []

    class CountingAck(Ack):
        calls = 0

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return super().__call__(*args, **kwargs)

    def count_acks(context: Any, next: Any) -> None:
        context["ack"] = counting = CountingAck()
        acks.append(counting)
        next()

    served.bolt_app.middleware(count_acks)
    http = HttpTransport(served.url)
    make_sql(served)
    for text in ("ana@acme.io", "", "nobody@nowhere.io"):
        lead(http, fake_slack, text)
    click(http, fake_slack, ids.ACCEPT, "UOUTSIDER")
    click(http, fake_slack, ids.REJECT, "URITA")
    modal = wait_until(lambda: fake_slack.calls("views.open"), what="the modal")[0].params["view"]
    empty = {ids.REASON_BLOCK: {ids.REASON_ACTION: {"type": "static_select", "selected_option": None}}}
    chosen = {
        ids.REASON_BLOCK: {
            ids.REASON_ACTION: {"type": "static_select", "selected_option": {"value": "duplicate"}}
        }
    }
    for values in (empty, chosen):
        served.post("/slack/events", *interactive(view_submission(view=modal, values=values, user="URITA")))
    click(http, fake_slack, ids.ACCEPT, "UBEN")
    wait_until(lambda: len(fake_slack.calls("chat.postEphemeral")) == 2, what="both private notices")

    assert [ack.calls for ack in acks] == [1] * 8  # 3 commands, 3 clicks, 2 modal submissions

"""What ``/slack/events`` refuses before Bolt sees a request: size, signature, shape."""

from __future__ import annotations

import json
import logging
import socket
import time
from urllib.parse import urlparse

import httpx
import pytest

from bot.slack import ids
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, Served, wait_until
from tests.e2e.test_slack_flow import card_ts, handoff_id_of, make_sql
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import block_action, interactive, signed, slash_command

MIB = 1024 * 1024


def raw_post(served: Served, head: dict[str, str], chunks: list[bytes]) -> int:
    """POST over a bare socket, sending ``chunks`` until the server answers; returns its status."""
    url = urlparse(served.url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as connection:
        lines = [
            "POST /slack/events HTTP/1.1",
            f"Host: {url.hostname}",
            *(f"{k}: {v}" for k, v in head.items()),
        ]
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            for chunk in chunks:
                connection.sendall(chunk)
        except OSError:
            pass  # the server may close the connection once it has answered
        answer = connection.recv(200).decode()
    return int(answer.split()[1])


def test_a_body_declared_too_large_is_refused_before_it_is_read(served: Served) -> None:
    head = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(100 * MIB)}

    assert raw_post(served, head, [b"x" * 64 * 1024]) == 413


def test_a_streamed_body_is_refused_once_it_passes_the_limit(served: Served) -> None:
    chunk = b"x" * (256 * 1024)
    framed = [f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" for _ in range(8)] + [b"0\r\n\r\n"]
    head = {"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"}

    assert raw_post(served, head, framed) == 413


TEN_MINUTES_AHEAD = "ten-minutes-ahead"  # made when the test runs: collection may be long before


@pytest.mark.parametrize(
    "timestamp",
    ["abc", "", "٣٣٣", "1e9", "-1", "1700000000.5", "99999999999999999999", TEN_MINUTES_AHEAD],
)
def test_a_garbled_or_stale_timestamp_is_a_401(served: Served, timestamp: str) -> None:
    body, headers = slash_command(text="ana@acme.io", user="URITA")
    if timestamp == TEN_MINUTES_AHEAD:
        timestamp = str(int(time.time()) + 600)

    stamped: dict[str, str | bytes] = {**headers, "X-Slack-Request-Timestamp": timestamp.encode()}

    answer = httpx.post(f"{served.url}/slack/events", content=body, headers=stamped)

    assert answer.status_code == 401


def test_a_forged_request_is_a_401_and_its_body_is_never_logged(
    served: Served, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body, headers = slash_command(text="secret-lead@acme.io", user="URITA")
    no_signature = {k: v for k, v in headers.items() if k != "X-Slack-Signature"}

    forged = served.post("/slack/events", body, headers | {"X-Slack-Signature": "v0=" + "0" * 64})
    unsigned = served.post("/slack/events", body, no_signature)
    not_utf8 = served.post("/slack/events", b"\xff\xfe" + body, headers)

    assert [forged.status_code, unsigned.status_code, not_utf8.status_code] == [401, 401, 401]
    assert "secret-lead" not in caplog.text


MALFORMED_FORMS = [
    "payload=%5B%5D",  # payload=[]
    "payload=1",
    "payload=%22text%22",
    "payload=%7Bnot+json",
    "payload=" + "%5B" * 100_000,  # nested too deep
    "nothing=here",
    "command=%2Fother&user_id=URITA&response_url=http%3A%2F%2F127.0.0.1%3A1%2F",
    "command=%2Flead&text=ana",  # no user, no response_url
    "&".join(f"f{n}=1" for n in range(500)),
]
MALFORMED_JSON = [
    [],
    {"type": "event_callback", "event": []},
    {"type": "event_callback", "event": {"type": "app_home_opened", "user": None}},
    {"type": "url_verification"},
    {"type": "something_else"},
    {"type": "view_submission", "user": None, "view": {"callback_id": ids.REJECT_MODAL}},
    {"type": "block_actions", "user": {"id": "URITA"}, "actions": [{"action_id": ids.ACCEPT}]},
]


def test_a_signed_malformed_payload_is_a_400(served: Served) -> None:
    forms = [served.post("/slack/events", *signed(body)) for body in MALFORMED_FORMS]
    objects = [
        served.post("/slack/events", *signed(json.dumps(payload), content_type="application/json"))
        for payload in MALFORMED_JSON
    ]

    answers = [(answer.status_code, answer.text) for answer in forms + objects]
    assert answers == [(400, "malformed Slack payload")] * (len(MALFORMED_FORMS) + len(MALFORMED_JSON))


def test_slack_checks_and_kinds_we_do_not_act_on_are_acknowledged(served: Served) -> None:
    challenge = {"type": "url_verification", "challenge": "c-123", "token": "t"}
    other_event = {"type": "event_callback", "event": {"type": "app_mention", "user": "URITA"}}
    other_button = block_action(
        action_id="open_crm", value="1", user="URITA", channel=SALES_CHANNEL, message_ts="1.1"
    )

    verified = served.post("/slack/events", *signed(json.dumps(challenge), content_type="application/json"))
    ssl_check = served.post("/slack/events", *signed("ssl_check=1&token=t"))
    event = served.post("/slack/events", *signed(json.dumps(other_event), content_type="application/json"))
    button = served.post("/slack/events", *interactive(other_button))

    assert verified.json() == {"challenge": "c-123"}
    assert [ssl_check.status_code, event.status_code, button.status_code] == [200, 200, 200]


def test_a_button_value_that_is_not_ascii_digits_gets_a_private_notice(
    served: Served, fake_slack: FakeSlack
) -> None:
    make_sql(served)
    ts, handoff = card_ts(fake_slack), handoff_id_of(fake_slack)
    arabic_indic = str(handoff).translate({ord("0") + n: 0x0660 + n for n in range(10)})
    values = [arabic_indic, "٣", f"{handoff}\n", f" {handoff}", f"+{handoff}", "1" * 19, "", "0x1"]

    def press(value: str) -> int:
        payload = block_action(
            action_id=ids.ACCEPT, value=value, user="URITA", channel=SALES_CHANNEL, message_ts=ts
        )
        return served.post("/slack/events", *interactive(payload)).status_code

    statuses = [press(value) for value in values]

    assert statuses == [200] * len(values)
    wait_until(lambda: fake_slack.calls("chat.postEphemeral")[len(values) - 1 :], what="a notice per press")
    notices = fake_slack.calls("chat.postEphemeral")
    assert len(notices) == len(values)
    assert {call.params["text"] for call in notices} == {"That button is not from a Handoff card."}
    lead = httpx.get(f"{served.url}/v1/leads/ana@acme.io", headers=AUTH)
    assert lead.json()["handoffs"][0]["decision"] is None

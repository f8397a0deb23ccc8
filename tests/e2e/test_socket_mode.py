"""Socket Mode against the fake Slack's endpoint: a real ``handoff serve --socket-mode`` without a
signing secret, and clicks that survive a forced reconnect or a connection lost before the ack."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.slack import ids
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import Served, serve_env, start_serve_process, stop_process, wait_until
from tests.e2e.test_slack_flow import HasUrl, card_ts, handoff_id_of, lead, lead_json, make_sql, posted_cards
from tests.e2e.transport import SocketTransport
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import APP_TOKEN, block_action, slash_command


@dataclass
class ServeProcess:
    url: str
    process: subprocess.Popen[bytes]


@pytest.fixture
def socket_serve(fake_slack: FakeSlack, tmp_path: Path) -> Iterator[ServeProcess]:
    """``handoff serve --socket-mode`` as a process, with no SLACK_SIGNING_SECRET, once connected.
    One database is enough here: the in-process tests decide over the socket on both."""
    env = serve_env(f"sqlite:///{tmp_path / 'handoff.db'}", fake_slack, SLACK_APP_TOKEN=APP_TOKEN)
    del env["SLACK_SIGNING_SECRET"]
    process, url = start_serve_process(env, tmp_path, args=("--socket-mode",))
    fake_slack.socket.wait_connected()
    yield ServeProcess(url, process)
    stop_process(process)


def accept_click(fake: FakeSlack, user: str) -> dict[str, Any]:
    return block_action(
        action_id=ids.ACCEPT,
        value=str(handoff_id_of(fake)),
        user=user,
        channel=SALES_CHANNEL,
        message_ts=card_ts(fake),
    )


def deciders(served: HasUrl) -> list[str]:
    return [h["decision"]["decided_by"] for h in lead_json(served)["handoffs"] if h["decision"]]


def thread_lines(fake: FakeSlack) -> list[Any]:
    return [call for call in fake.calls("chat.postMessage") if call.params.get("thread_ts")]


def test_serve_in_socket_mode_takes_clicks_and_commands_and_refuses_every_http_request(
    socket_serve: ServeProcess, fake_slack: FakeSlack
) -> None:
    via = SocketTransport(fake_slack.socket)
    make_sql(socket_serve)

    clicked = via.interactive(accept_click(fake_slack, "URITA"))
    fake_slack.socket.ask_to_reconnect()
    _, found = lead(via, fake_slack, "ana@acme.io")
    fake_slack.socket.wait_connected(connections=2)
    body, headers = slash_command(text="ana@acme.io", user="URITA")
    signed = httpx.post(f"{socket_serve.url}/slack/events", content=body, headers=headers)
    unsigned = httpx.post(f"{socket_serve.url}/slack/events", content=body)

    assert clicked.payload is None
    wait_until(lambda: thread_lines(fake_slack), what="the decision's thread line")
    assert deciders(socket_serve) == ["URITA"]
    assert "Ana Ruiz" in str(found["blocks"])
    assert (signed.status_code, unsigned.status_code) == (401, 401)
    assert signed.text == "this server takes Slack over Socket Mode only: SLACK_SIGNING_SECRET is not set"


def test_a_forced_reconnect_loses_no_click(
    served: Served, fake_slack: FakeSlack, over_socket: SocketTransport
) -> None:
    make_sql(served)
    card_ts(fake_slack)

    over_socket.socket.ask_to_reconnect()
    clicked = over_socket.interactive(accept_click(fake_slack, "UBEN"))
    over_socket.socket.wait_connected(connections=2)

    assert clicked.payload is None
    wait_until(lambda: thread_lines(fake_slack), what="the decision's thread line")
    assert deciders(served) == ["UBEN"]
    assert len(fake_slack.calls("apps.connections.open")) == 2
    assert fake_slack.calls("chat.postEphemeral") == []
    assert len(posted_cards(fake_slack)) == 1


def test_a_click_whose_connection_drops_before_the_ack_is_delivered_again_and_decided_once(
    served: Served, fake_slack: FakeSlack, over_socket: SocketTransport
) -> None:
    socket = over_socket.socket
    make_sql(served)

    envelope = socket.send("interactive", accept_click(fake_slack, "URITA"), drop_after=True)
    socket.wait_connected(connections=2)
    socket.ack(envelope)
    wait_until(lambda: socket.deliveries.count(envelope) == 2, what="the re-delivery")
    wait_until(lambda: thread_lines(fake_slack), what="the decision's thread line")

    assert deciders(served) == ["URITA"]
    assert fake_slack.calls("chat.postEphemeral") == []
    assert len(fake_slack.calls("chat.update")) == 1
    assert len(thread_lines(fake_slack)) == 1


def test_an_event_over_the_socket_publishes_the_home_tab_and_a_malformed_envelope_changes_nothing(
    served: Served, fake_slack: FakeSlack, over_socket: SocketTransport
) -> None:
    socket = over_socket.socket
    make_sql(served)
    opened = {
        "type": "event_callback",
        "team_id": "T0TEAM",
        "api_app_id": "A0HANDOFF",
        "event": {"type": "app_home_opened", "user": "URITA", "channel": "D0HOME", "tab": "home"},
        "event_id": "Ev1",
        "event_time": 1,
    }
    forged = accept_click(fake_slack, "URITA") | {"user": "not a user id"}

    acks = [
        socket.ack(socket.send(kind, payload))
        for kind, payload in [("interactive", forged), ("events_api", opened)]
    ]

    assert acks == [None, None]
    published = wait_until(lambda: fake_slack.calls("views.publish"), what="the home tab")
    assert "Waiting for a decision (1)" in str(published[0].params["view"])
    assert deciders(served) == []

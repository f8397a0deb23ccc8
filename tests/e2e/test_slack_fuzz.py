"""Signed requests of every shape to ``/slack/events``: never a 500, and nothing decided by a broken one.

Generated from valid payloads by replacing or deleting one field with an odd value (wrong types,
nulls, huge strings, unicode, lone surrogates), plus garbage bodies. Broken button clicks and
modal submissions all aim at one handoff, which must still be open afterwards and then be decided
by a valid click; every ``/lead`` acknowledged without an answer gets exactly one through its
``response_url``; no listener logs an error; and every answer sent to Slack is valid Block Kit.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.slack import blocks, ids
from scoring import REASONS
from tests.conftest import SALES_CHANNEL
from tests.e2e.conftest import AUTH, MEMBERS, Served, wait_until
from tests.e2e.test_slack_flow import make_sql
from tests.fakes.slack_api import FakeSlack
from tests.slack_requests import block_action, signed, view_submission

EXAMPLES = 1100  # per database
DELETE = object()
HUGE = "x" * 100_000
ODD_STRINGS = [
    "",
    " ",
    "٣",
    "12",
    "-1",
    "1e400",
    "\x00",
    "a\x00b",
    "\ud800",
    "\n",
    "%",
    "_",
    "\\",
    "null",
    "[]",
    "{}",
    "URITA\n",
    "urita",
    "<!channel>",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🎉",
    "C0SALES001",
    "2026-13-45",
    "9999-12-31",
    "0001-01-01",
    HUGE,
]
VALID_REASONS = {value for value, _ in REASONS}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63, max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
odd_values = st.one_of(st.sampled_from([*ODD_STRINGS, DELETE]), json_values)


@dataclass(frozen=True)
class Case:
    """One request: a body, its content type, and what it aimed at."""

    body: str
    content_type: str = "application/x-www-form-urlencoded"
    family: str = "garbage"
    timestamp: str | None = None  # None: now, and signed
    expected: frozenset[int] = field(default_factory=lambda: frozenset({200, 400}))


@dataclass
class Targets:
    """The handoffs the generated requests aim at, and the fake Slack's response_url."""

    broken: int
    noise: int
    response_url: str


def interactive_case(payload: Any, family: str) -> Case:
    return Case(urlencode({"payload": json.dumps(payload)}), family=family)


def replaced(payload: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    """``payload`` with the field at ``path`` set to ``value`` (or removed, for DELETE)."""
    result = copy.deepcopy(payload)
    holder: Any = result
    for key in path[:-1]:
        holder = holder[key]
    if value is DELETE:
        holder.pop(path[-1], None) if isinstance(holder, dict) else holder.pop(path[-1])
    else:
        holder[path[-1]] = value
    return result


def click(action_id: str, handoff_id: int) -> dict[str, Any]:
    return block_action(
        action_id=action_id, value=str(handoff_id), user="URITA", channel=SALES_CHANNEL, message_ts="1.000100"
    )


def modal(handoff_id: int) -> dict[str, Any]:
    view = blocks.decision_modal(
        action="reject",
        handoff_id=handoff_id,
        channel=SALES_CHANNEL,
        message_ts="1.000100",
        lead_name="Ana Ruiz",
        today=date(2026, 1, 1),
    )
    values = {
        ids.REASON_BLOCK: {
            ids.REASON_ACTION: {"type": "static_select", "selected_option": {"value": "no_fit"}}
        },
        ids.NOTE_BLOCK: {ids.NOTE_ACTION: {"type": "plain_text_input", "value": "B2C shop"}},
    }
    return view_submission(view=view, values=values, user="URITA")


def one_of(value: Any, allowed: Iterable[str]) -> bool:
    return isinstance(value, str) and value in allowed


# Fields without which a click or submission must not decide, and the replacements that still would.
CLICK_ESSENTIALS: list[tuple[tuple[Any, ...], Callable[[Any, int], bool]]] = [
    (("type",), lambda v, _: v == "block_actions"),
    (("user",), lambda v, _: isinstance(v, dict) and one_of(v.get("id"), MEMBERS)),
    (("user", "id"), lambda v, _: one_of(v, MEMBERS)),
    (("actions",), lambda v, _: False),
    (("actions", 0), lambda v, _: False),
    (("actions", 0, "action_id"), lambda v, _: v == ids.ACCEPT),
    (
        ("actions", 0, "value"),
        lambda v, h: isinstance(v, str) and v.isascii() and v.isdigit() and int(v) == h,
    ),
]
REASON = ("view", "state", "values", ids.REASON_BLOCK)
MODAL_ESSENTIALS: list[tuple[tuple[Any, ...], Callable[[Any, int], bool]]] = [
    (("type",), lambda v, _: v == "view_submission"),
    (("user",), lambda v, _: isinstance(v, dict) and one_of(v.get("id"), MEMBERS)),
    (("user", "id"), lambda v, _: one_of(v, MEMBERS)),
    (("view",), lambda v, _: False),
    (("view", "callback_id"), lambda v, _: v == ids.REJECT_MODAL),
    (("view", "private_metadata"), lambda v, _: False),
    (("view", "state"), lambda v, _: False),
    (("view", "state", "values"), lambda v, _: False),
    (REASON, lambda v, _: False),
    ((*REASON, ids.REASON_ACTION), lambda v, _: False),
    ((*REASON, ids.REASON_ACTION, "selected_option"), lambda v, _: False),
    ((*REASON, ids.REASON_ACTION, "selected_option", "value"), lambda v, _: one_of(v, VALID_REASONS)),
]
CLICK_NOISE = [
    ("team",),
    ("channel",),
    ("channel", "id"),
    ("message",),
    ("message", "ts"),
    ("container",),
    ("trigger_id",),
    ("response_url",),
    ("api_app_id",),
    ("token",),
    ("extra",),
    ("actions", 0, "block_id"),
    ("user", "team_id"),
]
MODAL_NOISE = [
    ("team",),
    ("view", "id"),
    ("view", "type"),
    ("view", "state", "values", ids.NOTE_BLOCK),
    ("view", "state", "values", ids.NOTE_BLOCK, ids.NOTE_ACTION, "value"),
    ("trigger_id",),
    ("extra",),
]


@st.composite
def broken_requests(draw: st.DrawFn, targets: Targets) -> Case:
    """A click or submission on the ``broken`` handoff with one essential field spoiled."""
    if draw(st.booleans()):
        template = click(
            draw(st.sampled_from([ids.ACCEPT, ids.REJECT, ids.RECYCLE, ids.REASSIGN])), targets.broken
        )
        path, still_decides = draw(st.sampled_from(CLICK_ESSENTIALS))
    else:
        template, (path, still_decides) = modal(targets.broken), draw(st.sampled_from(MODAL_ESSENTIALS))
    value = draw(odd_values.filter(lambda v: not still_decides(v, targets.broken)))
    return interactive_case(replaced(template, path, value), "broken")


@st.composite
def noisy_requests(draw: st.DrawFn, targets: Targets) -> Case:
    """A click or submission on the ``noise`` handoff with a field it does not need spoiled."""
    if draw(st.booleans()):
        template = click(
            draw(st.sampled_from([ids.ACCEPT, ids.REJECT, ids.RECYCLE, ids.REASSIGN])), targets.noise
        )
        path = draw(st.sampled_from(CLICK_NOISE))
    else:
        template, path = modal(targets.noise), draw(st.sampled_from(MODAL_NOISE))
    return interactive_case(replaced(template, path, draw(odd_values)), "noise")


@st.composite
def slash_commands(draw: st.DrawFn, targets: Targets) -> Case:
    """``/lead`` with any text, by members and outsiders, sometimes with a field spoiled."""
    fields: dict[str, Any] = {
        "command": "/lead",
        "user_id": draw(st.sampled_from([*MEMBERS, "UOUTSIDER"])),
        "channel_id": SALES_CHANNEL,
        "team_id": "T0TEAM",
        "text": draw(st.one_of(st.text(max_size=60), st.sampled_from(ODD_STRINGS), st.just("a" * 100_000))),
        "response_url": targets.response_url,
    }
    if draw(st.integers(0, 4)) == 0:
        key = draw(st.sampled_from(sorted(fields)))
        fields = replaced(fields, (key,), draw(odd_values))
    body = urlencode({key: str(value) for key, value in fields.items()}, errors="surrogatepass")
    return Case(body, family="slash")


def lead_command(text: str, targets: Targets) -> Case:
    fields = {"command": "/lead", "user_id": "URITA", "text": text, "response_url": targets.response_url}
    return Case(urlencode(fields), family="slash")


def home_opened() -> dict[str, Any]:
    return {
        "type": "event_callback",
        "team_id": "T0TEAM",
        "event_id": "Ev1",
        "event": {"type": "app_home_opened", "user": "URITA", "tab": "home"},
    }


@st.composite
def events(draw: st.DrawFn) -> Case:
    """Events API deliveries, with one field spoiled."""
    path = draw(
        st.sampled_from([("type",), ("event",), ("event", "type"), ("event", "user"), ("event", "tab")])
    )
    payload = replaced(home_opened(), path, draw(odd_values))
    return Case(json.dumps(payload), content_type="application/json", family="event")


garbage = st.one_of(
    st.text(max_size=200).map(lambda text: Case(text)),
    st.text(max_size=200).map(lambda text: Case(text, content_type="application/json")),
    json_values.map(lambda value: Case(urlencode({"payload": json.dumps(value)}))),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["block_actions", "view_submission", "event_callback", "url_verification"])},
        optional={"user": json_values, "view": json_values, "actions": json_values, "event": json_values},
    ).map(lambda value: Case(json.dumps(value), content_type="application/json")),
)


def post(client: httpx.Client, case: Case) -> httpx.Response:
    body, headers = signed(case.body, content_type=case.content_type)
    if case.timestamp is not None:
        headers["X-Slack-Request-Timestamp"] = case.timestamp
    return client.post("/slack/events", content=body, headers=headers)


def handoff_of(served: Served, email: str) -> dict[str, Any]:
    lead = httpx.get(f"{served.url}/v1/leads/{email}", headers=AUTH).json()
    return lead["handoffs"][0]  # type: ignore[no-any-return]


@pytest.fixture
def client(served: Served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=30) as http:
        yield http


@pytest.mark.slow
def test_no_signed_request_is_a_500_and_broken_ones_decide_nothing(
    served: Served, fake_slack: FakeSlack, client: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    for email in ("broken@acme.io", "noise@acme.io"):
        make_sql(served, email)
    targets = Targets(
        broken=handoff_of(served, "broken@acme.io")["id"],
        noise=handoff_of(served, "noise@acme.io")["id"],
        response_url=fake_slack.response_url,
    )
    broken_click = click(ids.ACCEPT, targets.broken)
    arabic_indic = str(targets.broken).translate({ord("0") + n: 0x0660 + n for n in range(10)})  # "١" for 1
    sent: list[tuple[Case, httpx.Response]] = []

    @settings(max_examples=EXAMPLES)
    @given(
        st.one_of(
            broken_requests(targets),
            broken_requests(targets),
            noisy_requests(targets),
            slash_commands(targets),
            slash_commands(targets),
            events(),
            garbage.map(lambda case: case),  # one branch, not four
        )
    )
    @example(Case("payload=%5B%5D"))  # payload=[]
    @example(Case("payload=1"))
    @example(interactive_case(replaced(modal(targets.broken), ("user",), None), "broken"))
    @example(interactive_case(replaced(modal(targets.broken), ("view", "state"), [1, 2]), "broken"))
    @example(interactive_case(replaced(modal(targets.broken), ("view", "state", "values"), "x"), "broken"))
    @example(interactive_case(replaced(broken_click, ("actions", 0, "value"), arabic_indic), "broken"))
    @example(
        interactive_case(replaced(broken_click, ("actions", 0, "value"), f"{targets.broken}\n"), "broken")
    )
    @example(lead_command("a" * 100_000, targets))
    @example(lead_command("%", targets))
    @example(lead_command("_", targets))
    @example(Case("command=%2Flead&text=x", timestamp="not-a-number", expected=frozenset({401})))
    def request_is_answered_without_error(case: Case) -> None:
        answer = post(client, case)
        sent.append((case, answer))
        assert answer.status_code in case.expected, (case, answer.status_code, answer.text[:300])
        assert "Traceback" not in answer.text

    request_is_answered_without_error()

    assert len(sent) >= 1000
    assert handoff_of(served, "broken@acme.io")["decision"] is None
    silent_acks = sum(1 for case, answer in sent if case.family == "slash" and answer.content == b"")
    wait_until(lambda: len(fake_slack.responses()) >= silent_acks, timeout=60, what="every /lead answer")
    assert len(fake_slack.responses()) == silent_acks
    assert post(client, interactive_case(broken_click, "valid")).status_code == 200
    decision = wait_until(lambda: handoff_of(served, "broken@acme.io")["decision"], what="the valid decision")
    assert decision["decided_by"] == "URITA"
    assert fake_slack.invalid_blocks == []
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []

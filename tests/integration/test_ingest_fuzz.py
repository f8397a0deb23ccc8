"""POST /v1/events under fire, on both databases: hostile events are refused one by one with their
index, every valid event beside them is stored, and nothing is ever a 500."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.entrypoints.api import create_app
from bot.runtime import Runtime
from tests.builders import FIT_LEAD, event
from tests.conftest import API_TOKEN
from tests.event_strategies import REQUESTS, Element, RequestDraft, body_of, now_utc

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
FUZZED_REQUESTS = 1900  # per database; with the 100 binary bodies below, 2,000 generated requests
_requests = itertools.count()


class Api:
    """The app in process, and its database's event count (short repr: Hypothesis prints it)."""

    def __init__(self, client: TestClient, runtime: Runtime) -> None:
        self.client, self.runtime = client, runtime

    def post(self, body: bytes) -> Any:
        return self.client.post("/v1/events", content=body, headers=AUTH)

    def stored(self) -> int:
        with self.runtime.uow() as uow:
            return uow.events.count()

    def __repr__(self) -> str:
        return f"Api({self.runtime.engine.dialect.name})"


@pytest.fixture
def api(runtime: Runtime) -> Iterator[Api]:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        yield Api(client, runtime)


def _deep_properties(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


def _with(raw: bytes, *, bare: bool = False, **fields: Any) -> bytes:
    """A valid event's JSON with ``raw`` bytes where the string ``"@@"`` was (its inside unless bare)."""
    return json.dumps(event() | fields).encode().replace(b'"@@"' if bare else b"@@", raw)


HOSTILE = {
    "NUL in the lead's name": (event(lead={"name": "Ana\x00Ruiz"}), "lead.name"),
    "NUL in the event id": (event(event_id="evt\x00nul"), "event_id"),
    "NUL in a property": (event(properties={"note": "a\x00b"}), "properties.note"),
    "NUL in a property key": (event(properties={"k\x00": 1}), "properties"),
    "integer 2^64 in properties": (event(properties={"n": 2**64}), "properties.n"),
    "integer 2^63 in properties": (event(properties={"n": 2**63}), "properties.n"),
    "integer -2^63-1 in a list": (event(properties={"n": [1, -(2**63) - 1]}), "properties.n.1"),
    "properties nested 256 deep": (event(properties=_deep_properties(256)), "(json)"),
    "properties nested 9 deep": (event(properties=_deep_properties(9)), "properties.a.a.a.a.a.a.a.a"),
    "NaN in properties": (event(properties={"x": float("nan")}), "properties.x"),
    "Infinity in properties": (event(properties={"x": float("inf")}), "properties.x"),
    "-Infinity in properties": (event(properties={"x": float("-inf")}), "properties.x"),
    "email with U+202E": (event(email="ana\u202e@acme.io"), "email"),
    "email with NUL": (event(email="ana\x00@acme.io"), "email"),
    "email <script>@x.com": (event(email="<script>@x.com"), "email"),
    "email with a space": (event(email="ana ruiz@acme.io"), "email"),
    "year 1 at +01:00": (event() | {"occurred_at": "0001-01-01T00:00:00+01:00"}, "occurred_at"),
    "year 9999 at -01:00": (event() | {"occurred_at": "9999-12-31T23:59:59-01:00"}, "occurred_at"),
    "a string of 4097 characters": (event(properties={"s": "x" * 4097}), "properties.s"),
    "1001 property values": (event(properties={str(n): n for n in range(1001)}), "properties"),
}
RAW_HOSTILE = {
    "a JSON array nested 1000 deep": (b"[" * 1000 + b"]" * 1000, "(json)"),
    "an integer of 5000 digits": (_with(b"9" * 5000, bare=True, properties={"n": "@@"}), "(json)"),
    "bytes that are not UTF-8": (_with(b"M\xfcller", lead={"name": "@@"}), "(json)"),
    "a lone surrogate escape": (_with(b"\\ud800", properties={"s": "@@"}), "(json)"),
    "a broken object": (b"{not json}", "(json)"),
}


def _raw(item: dict[str, Any]) -> bytes:
    return json.dumps(item).encode()  # NaN and Infinity as Python writes them


@pytest.mark.parametrize("ndjson", [False, True], ids=["array", "ndjson"])
@pytest.mark.parametrize("case", [*HOSTILE, *RAW_HOSTILE])
def test_one_hostile_event_is_refused_by_index_and_its_neighbours_stored(
    api: Api, case: str, ndjson: bool
) -> None:
    hostile, field = HOSTILE[case] if case in HOSTILE else (None, RAW_HOSTILE[case][1])
    text = _raw(hostile) if hostile is not None else RAW_HOSTILE[case][0]
    elements = [Element(_raw(event(lead=FIT_LEAD)), "a"), Element(text, None), Element(_raw(event()), "b")]

    answer = api.post(body_of(ndjson, elements))

    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert [(refusal["index"], refusal["field"]) for refusal in result["refused"]][:1] == [(1, field)]
    assert {refusal["index"] for refusal in result["refused"]} == {1}
    assert result["accepted"] == 2
    assert api.stored() == 2


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"{not json", "not JSON"),
        (bytes(range(256)) * 4, "not JSON"),
        (b"\xff\xfe\x00\x01garbage", "not JSON"),
        (b"", "empty"),
        (b" \n\t\r\n ", "empty"),
        (b"[" * 1000 + b"]" * 1000, "nested too deep"),
        (b'[{"event_id": "a",', "not a valid JSON array"),
        (b"[1, 2] and more", "not JSON"),
    ],
    ids=["not-json", "binary", "binary-bom", "empty", "blank", "array-1000-deep", "truncated", "trailing"],
)
def test_a_body_where_nothing_parses_is_a_400_in_one_sentence(api: Api, body: bytes, says: str) -> None:
    answer = api.post(body)

    assert answer.status_code == 400
    detail = answer.json()["detail"]
    assert says in detail
    assert "\n" not in detail
    assert api.stored() == 0


def _check_answer(api: Api, answer: Any, elements: list[Element], before: int) -> None:
    stored = {element.stores for element in elements if element.stores is not None}
    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 400:  # nothing in the body parsed: then nothing in it was valid
        assert not stored
        assert api.stored() == before
        return
    result = answer.json()
    refused = {index for index, element in enumerate(elements) if element.stores is None}
    assert {refusal["index"] for refusal in result["refused"]} == refused
    assert result["accepted"] == len(stored)
    assert result["duplicates"] == len(elements) - len(refused) - len(stored)
    assert api.stored() - before == len(stored)


@pytest.mark.slow
@settings(
    max_examples=FUZZED_REQUESTS,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
@given(request=REQUESTS)
def test_fuzzed_batches_store_exactly_their_valid_events(api: Api, request: RequestDraft) -> None:
    ndjson, elements = request.render(f"fuzz{next(_requests)}", now_utc())
    before = api.stored()

    answer = api.post(body_of(ndjson, elements))

    _check_answer(api, answer, elements, before)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300))
def test_random_bytes_are_a_400_or_refusals_never_a_500(api: Api, body: bytes) -> None:
    answer = api.post(body)

    assert answer.status_code in (200, 400), answer.text
    if answer.status_code == 200:
        assert answer.json()["accepted"] == 0
    assert api.stored() == 0

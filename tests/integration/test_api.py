"""The HTTP API: ingestion with bad tokens and bad bodies, lead look-up, health and metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.entrypoints.api import create_app
from bot.entrypoints.readiness import SlackState
from bot.runtime import Runtime, build_runtime
from tests.builders import FIT_LEAD, event
from tests.conftest import API_TOKEN, make_settings

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture
def client(runtime: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(runtime, max_body_bytes=64 * 1024)) as test_client:
        yield test_client


def test_json_array_is_ingested_and_lead_explained(client: TestClient) -> None:
    body = [event(lead=FIT_LEAD), event(type="demo_request")]

    answer = client.post("/v1/events", json=body, headers=AUTH)

    assert answer.status_code == 200
    assert answer.json()["accepted"] == 2
    lead = client.get("/v1/leads/ana@acme.io", headers=AUTH).json()
    assert lead["stage"] == "sql"
    assert lead["profile"]["company"] == "Acme"
    assert lead["score"]["fit"] > 0
    assert lead["score"]["engagement"] > 0
    assert "hand_raise_demo" in lead["score"]["top"]
    assert lead["handoffs"][0]["status"] == "open"


def test_ndjson_with_bad_lines_refuses_them_by_index_and_keeps_the_rest(client: TestClient) -> None:
    lines = [
        json.dumps(event()),
        "{not json",
        json.dumps(event() | {"occurred_at": "yesterday"}),
        json.dumps(event(type="email_open")),
    ]

    answer = client.post("/v1/events", content="\n".join(lines), headers=AUTH)

    assert answer.status_code == 200
    result = answer.json()
    assert result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["refused"]] == [(1, "(json)"), (2, "occurred_at")]


def test_wrong_types_are_named_field_by_field(client: TestClient) -> None:
    bad = event(lead={"company_size": "lots"}) | {"properties": ["not", "a", "map"]}

    result = client.post("/v1/events", json=[bad, 42], headers=AUTH).json()

    assert {(r["index"], r["field"]) for r in result["refused"]} == {
        (0, "properties"),
        (0, "lead.company_size"),
        (1, "(event)"),
    }
    assert result["accepted"] == 0


def test_same_batch_twice_reports_duplicates(client: TestClient) -> None:
    body = [event(), event()]
    client.post("/v1/events", json=body, headers=AUTH)

    again = client.post("/v1/events", json=body, headers=AUTH).json()

    assert (again["accepted"], again["duplicates"]) == (0, 2)


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": API_TOKEN}])
def test_missing_or_wrong_token_is_refused(client: TestClient, headers: dict[str, str]) -> None:
    answer = client.post("/v1/events", json=[event()], headers=headers)

    assert answer.status_code == 401
    assert client.get("/v1/leads/ana@acme.io", headers=headers).status_code == 401
    assert client.get("/v1/leads/ana@acme.io", headers=AUTH).status_code == 404  # nothing was stored


def test_api_without_configured_token_refuses_everything(database_url: str) -> None:
    runtime = build_runtime(make_settings(database_url, api_token=None))
    with TestClient(create_app(runtime)) as open_client:
        answer = open_client.post("/v1/events", json=[event()], headers={"Authorization": "Bearer "})
    runtime.close()

    assert answer.status_code == 401
    assert "HANDOFF_API_TOKEN" in answer.json()["detail"]


def test_malformed_json_array_is_a_400_naming_the_problem(client: TestClient) -> None:
    answer = client.post("/v1/events", content='[{"event_id": "a",', headers=AUTH)

    assert answer.status_code == 400
    assert "not a valid JSON array" in answer.json()["detail"]


def test_oversize_body_is_refused_with_413(client: TestClient) -> None:
    body = [event(properties={"padding": "x" * 1000}) for _ in range(100)]

    answer = client.post("/v1/events", json=body, headers=AUTH)

    assert answer.status_code == 413
    assert client.get("/v1/leads/ana@acme.io", headers=AUTH).status_code == 404


def test_oversize_chunked_body_without_length_is_refused(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b" " * 1024

    answer = client.post("/v1/events", content=chunks(), headers=AUTH)

    assert answer.status_code == 413


def test_unknown_lead_is_a_404_in_words(client: TestClient) -> None:
    answer = client.get("/v1/leads/nobody@nowhere.io", headers=AUTH)

    assert answer.status_code == 404
    assert answer.json()["detail"] == "no lead found for nobody@nowhere.io"


def test_health_readiness_and_metrics(client: TestClient) -> None:
    client.post(
        "/v1/events",
        json=[event(lead=FIT_LEAD), event(type="demo_request"), event(event_id="x"), event(event_id="x")],
        headers=AUTH,
    )

    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"
    metrics = client.get("/metrics").text
    assert 'handoff_events_total{outcome="accepted"} 3.0' in metrics
    assert 'handoff_events_total{outcome="duplicate"} 1.0' in metrics
    assert 'handoff_outbox_entries{status="pending"} 1.0' in metrics
    assert 'handoff_leads{stage="sql"} 1.0' in metrics


def test_readiness_fails_on_a_configuration_problem_and_says_it(runtime: Runtime) -> None:
    problem = "#sales (HANDOFF_SALES_CHANNEL): the bot is not a member: /invite the bot to the channel"
    app = create_app(runtime, slack_check=lambda: SlackState(configuration=problem, slack="ok"))
    with TestClient(app) as test_client:
        answer = test_client.get("/readyz")

    assert answer.status_code == 503
    assert answer.json() == {
        "ready": False,
        "checks": {"database": "ok", "configuration": problem, "slack": "ok"},
    }

"""Who may do what on the HTTP API (write and read-only tokens, two at once while rotating), and
the OpenAPI page that documents it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from bot.entrypoints.api import create_app
from bot.runtime import build_runtime
from tests.builders import event
from tests.conftest import make_settings

OLD, NEW = "write-token-old-0123456789", "write-token-new-0123456789"
READER, NEXT_READER = "read-token-one-0123456789", "read-token-two-0123456789"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    settings = make_settings(
        database_url, api_token=f"{OLD}, {NEW}", api_read_token=f"{READER},{NEXT_READER}"
    )
    runtime = build_runtime(settings)
    with TestClient(create_app(runtime)) as test_client:
        yield test_client
    runtime.close()


@pytest.mark.parametrize("token", [OLD, NEW])
def test_both_write_tokens_send_and_read_during_a_rotation(client: TestClient, token: str) -> None:
    sent = client.post("/v1/events", json=[event()], headers=bearer(token))
    read = client.get("/v1/leads/ana@acme.io", headers=bearer(token))

    assert sent.status_code == 200
    assert read.status_code == 200


@pytest.mark.parametrize("token", [READER, NEXT_READER])
def test_read_token_looks_leads_up_but_may_not_send_events(client: TestClient, token: str) -> None:
    client.post("/v1/events", json=[event()], headers=bearer(OLD))

    read = client.get("/v1/leads/ana@acme.io", headers=bearer(token))
    sent = client.post("/v1/events", json=[event(email="eve@acme.io")], headers=bearer(token))

    assert read.status_code == 200
    assert sent.status_code == 403
    assert "only read leads" in sent.json()["detail"]
    assert client.get("/v1/leads/eve@acme.io", headers=bearer(OLD)).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [{}, bearer("write-token-old-012345678"), bearer(OLD + "x"), {"Authorization": f"Basic {OLD}"}],
)
def test_unknown_or_missing_token_is_401_on_both_routes(client: TestClient, headers: dict[str, str]) -> None:
    sent = client.post("/v1/events", json=[event()], headers=headers)
    read = client.get("/v1/leads/ana@acme.io", headers=headers)

    assert (sent.status_code, read.status_code) == (401, 401)
    assert sent.headers["www-authenticate"] == "Bearer"


def test_openapi_documents_the_event_body_and_the_bearer_scheme(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    validate(spec)
    body = spec["paths"]["/v1/events"]["post"]["requestBody"]["content"]
    one_or_many = body["application/json"]["schema"]["oneOf"]
    assert one_or_many[0] == {"$ref": "#/components/schemas/EventIn"}
    assert one_or_many[1]["items"] == {"$ref": "#/components/schemas/EventIn"}
    assert "application/x-ndjson" in body
    event_schema = spec["components"]["schemas"]["EventIn"]
    assert {"event_id", "email", "type", "occurred_at"} <= set(event_schema["required"])
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    for path, method in [("/v1/events", "post"), ("/v1/leads/{email}", "get")]:
        assert spec["paths"][path][method]["security"] == [{"HTTPBearer": []}]
    assert "security" not in spec["paths"]["/readyz"]["get"]


def test_docs_page_is_served(client: TestClient) -> None:
    page = client.get("/docs")

    assert page.status_code == 200
    assert "/openapi.json" in page.text
    assert "swagger-ui" in page.text

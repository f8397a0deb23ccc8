"""The OpenAPI page: ``POST /v1/events`` documents its body, which the handler reads by itself; the
outbound webhooks (HANDOFF_WEBHOOKS) are documented as the document's ``webhooks``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import create_model

from bot.services.schemas import EventIn
from bot.webhooks.events import EVENT_MODELS

SIGNED = (
    "Signed the Standard Webhooks way: headers webhook-id (the same on every attempt: deduplicate by "
    "it), webhook-timestamp and webhook-signature (v1, HMAC-SHA256 of id.timestamp.body with the "
    "endpoint's whsec_ secret). Answer 2xx to acknowledge; 410 stops deliveries to the endpoint."
)

_EVENT = {"$ref": "#/components/schemas/EventIn"}

EVENTS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "Events as one JSON object, a JSON array, or NDJSON (one object per line). "
        "A bad event is refused by its index and never blocks the good ones.",
        "content": {
            "application/json": {"schema": {"oneOf": [_EVENT, {"type": "array", "items": _EVENT}]}},
            "application/x-ndjson": {
                "schema": {"type": "string", "description": "one EventIn JSON object per line"}
            },
        },
    }
}


def document_event_schema(app: FastAPI) -> None:
    """Add EventIn (and the models it uses) to the components the events body refers to."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, routes=app.routes, webhooks=app.webhooks.routes
            )
            event = EventIn.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(event.pop("$defs", {}))
            components["EventIn"] = event
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def document_webhooks(app: FastAPI) -> None:
    """One entry per webhook event type, with its message's schema."""
    for name, model in EVENT_MODELS.items():
        message = create_model(
            f"{model.__name__}Message",
            type=(Literal[name], ...),  # type: ignore[arg-type]
            timestamp=(datetime, ...),
            data=(model, ...),
        )

        def receive(body: Any) -> None:
            """Sent to each endpoint that takes this event type."""

        receive.__annotations__ = {"body": message, "return": None}
        app.webhooks.post(name, summary=(model.__doc__ or name).strip(), description=SIGNED)(receive)

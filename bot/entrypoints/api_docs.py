"""The OpenAPI page: ``POST /v1/events`` documents its body, which the handler reads by itself."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from bot.services.schemas import EventIn

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
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            event = EventIn.model_json_schema(ref_template="#/components/schemas/{model}")
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(event.pop("$defs", {}))
            components["EventIn"] = event
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

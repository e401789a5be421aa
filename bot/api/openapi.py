"""The OpenAPI document, made to describe what the API really answers.

Routes document their errors with the shared `Error` model (bot.api.schemas). Where FastAPI
still adds its own `HTTPValidationError` (a route that documents no 422 of its own), a 422 is
either FastAPI's list of field errors (`[{"loc", "msg", "type"}]`) or one message from a check
the route makes itself; the schema says both, so every 422 body validates against it.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi


def install(app: FastAPI) -> None:
    """Replace `app.openapi` with one that patches FastAPI's generated document."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
            errors = schema.get("components", {}).get("schemas", {}).get("HTTPValidationError")
            if errors is not None:
                errors["properties"]["detail"] = {
                    "title": "Detail",
                    "anyOf": [
                        {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/ValidationError"},
                        },
                        {"type": "string"},
                    ],
                }
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

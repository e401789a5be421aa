"""Property-based requests from the OpenAPI document (schemathesis) against a live server:
no server errors, every status code a route answers is documented for it, and every response
matches the schema it is documented with (errors included), anonymously and with an admin's
token. Examples per operation are capped so the run stays within a minute or two. And the
document itself: every API route has a typed answer and documents its errors in one form."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from bot.app import create_app
from bot.auth import create_user
from bot.store.db import create_engine, session_factory
from tests.conftest import LiveServer, make_settings, running_app

EXAMPLES = 10
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(make_settings(tmp_path_factory.mktemp("schemathesis")))
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def admin_headers(server: LiveServer) -> dict[str, str]:
    async def add() -> None:
        engine = create_engine(server.settings.resolved_database_url())
        async with session_factory(engine)() as session:
            await create_user(session, "adam@shop.pl", "correct horse", "admin")
        await engine.dispose()

    import asyncio

    asyncio.run(add())
    form = {"username": "adam@shop.pl", "password": "correct horse"}
    token = httpx.post(f"{server.url}/api/auth/token", data=form).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def api_schema(server: LiveServer) -> Any:
    return schemathesis.openapi.from_url(f"{server.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("api_schema")
fuzz = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    derandomize=True,  # the same examples every run: a failure reproduces
)


@schema.parametrize()
@fuzz
def test_anonymous_requests(case: Any) -> None:
    case.call_and_validate(checks=CHECKS, timeout=120)


@schema.parametrize()
@fuzz
def test_admin_requests(case: Any, admin_headers: dict[str, str]) -> None:
    case.call_and_validate(headers=admin_headers, checks=CHECKS, timeout=120)


def test_the_error_model_documents_both_kinds_of_422(api_schema: Any) -> None:
    detail = api_schema.raw_schema["components"]["schemas"]["Error"]["properties"]["detail"]
    kinds = {d.get("type") for d in detail["anyOf"]}
    assert kinds == {"array", "string"}


ERROR_REF = "#/components/schemas/Error"


def api_operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, operations in document["paths"].items():
        if path.startswith("/api/"):
            for method, operation in operations.items():
                yield f"{method.upper()} {path}", path, operation


def test_every_api_route_has_a_typed_answer_and_documents_its_errors(tmp_path: Path) -> None:
    document = create_app(make_settings(tmp_path)).openapi()
    problems: list[str] = []
    for name, _path, operation in api_operations(document):
        responses = operation["responses"]
        ok = [code for code in responses if code.startswith("2")]
        if len(ok) != 1:
            problems.append(f"{name}: success codes {ok}")
            continue
        content = responses[ok[0]].get("content", {})
        json_schema = content.get("application/json", {}).get("schema", {})
        if ok[0] != "204" and "application/json" in content and "$ref" not in json_schema:
            problems.append(f"{name}: untyped answer {json_schema}")
        errors = {code for code in responses if not code.startswith("2")}
        needed = set()
        if operation.get("security"):
            needed.add("401")  # a staff route: no or a bad token
        if operation.get("parameters") or operation.get("requestBody"):
            needed.add("422")
        if operation.get("requestBody"):
            needed |= {"408", "413"}
        if needed - errors:
            problems.append(f"{name}: undocumented {sorted(needed - errors)}")
        for code in errors:
            ref = responses[code].get("content", {}).get("application/json", {}).get("schema")
            if ref != {"$ref": ERROR_REF}:
                problems.append(f"{name}: {code} is not the shared error model: {ref}")
    assert not problems, "\n".join(problems)


def test_the_public_interface_keeps_its_field_names(tmp_path: Path) -> None:
    """DESIGN.md's fields are in the typed answers (a contract: extended, never renamed)."""
    schemas = create_app(make_settings(tmp_path)).openapi()["components"]["schemas"]

    def fields(name: str) -> set[str]:
        return set(schemas[name]["properties"])

    assert fields("MessageOut") >= {"id", "author", "text", "buttons", "created_at", "channel"}
    assert fields("WebchatSession") == {"session_token", "customer_id", "language", "timezone"}
    assert fields("WebchatReceipt") == {"message", "replies"}
    assert fields("History") == {"messages", "older"}
    assert fields("Availability") == {"agents_online", "support_hours", "timezone", "open_now"}
    assert fields("Token") >= {"access_token", "token_type"}
    assert fields("Parse") >= {"text", "intent", "entities"}
    assert fields("ConversationRow") >= {
        "id", "customer_id", "status", "channel", "language", "waiting_since",
        "waiting_seconds", "handoff_reason", "assigned_agent_id", "last_message",
    }  # fmt: skip
    assert fields("Order") >= {"number", "status", "items", "total", "history", "ready_at"}


async def test_typed_answers_carry_exactly_the_fields_the_route_gave(tmp_path: Path) -> None:
    """A model's optional fields a route did not fill are left out, never sent as null."""
    async with running_app(make_settings(tmp_path)) as (_app, client):
        session = (await client.post("/api/webchat/sessions")).json()
        body = {"session_token": session["session_token"], "text": "menu", "client_message_id": "a"}
        receipt = (await client.post("/api/webchat/messages", json=body)).json()
    message = {"id", "author", "text", "buttons", "created_at", "channel"}
    assert set(receipt["message"]) == message | {"client_message_id"}
    # A bot reply says the language it is written in (the widget's own words follow it).
    assert receipt["replies"] and all(set(r) == message | {"language"} for r in receipt["replies"])

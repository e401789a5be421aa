"""Property-based requests from the OpenAPI document (schemathesis) against a live server:
no server errors, and every response matches the schema it is documented with (422s
included), anonymously and with an admin's token. Examples per operation are capped so the
run stays within a minute or two."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis import checks

from bot.auth import create_user
from bot.store.db import create_engine, session_factory
from tests.conftest import LiveServer, make_settings

EXAMPLES = 10
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance]


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


def test_the_schema_documents_both_kinds_of_422(api_schema: Any, tmp_path: Path) -> None:
    detail = api_schema.raw_schema["components"]["schemas"]["HTTPValidationError"]["properties"]
    kinds = {d.get("type") for d in detail["detail"]["anyOf"]}
    assert kinds == {"array", "string"}

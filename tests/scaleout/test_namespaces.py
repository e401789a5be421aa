"""Two deployments on one Redis: each sees only its own customers, locks and events."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import LiveServer, make_settings


@pytest.fixture
async def two_deployments(
    tmp_path: Path, redis_url: str
) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """Deployments X and Y: their own databases, one Redis, no REDIS_NAMESPACE set."""
    servers = []
    for name in ("x", "y"):
        server = LiveServer(make_settings(tmp_path / name, redis_url=redis_url))
        await asyncio.to_thread(server.start)
        servers.append(server)
    yield servers[0], servers[1]
    for server in servers:
        await asyncio.to_thread(server.stop)


async def send(http: httpx.AsyncClient, server: LiveServer, token: str, text: str, cid: str) -> int:
    response = await http.post(
        f"{server.url}/api/webchat/messages",
        json={"session_token": token, "text": text, "client_message_id": cid},
    )
    assert response.status_code == 200
    return int(response.json()["message"]["id"])


async def test_a_socket_of_one_deployment_never_gets_another_deployments_customer(
    two_deployments: tuple[LiveServer, LiveServer],
) -> None:
    x, y = two_deployments
    async with httpx.AsyncClient(timeout=30) as http:
        x_session = (await http.post(f"{x.url}/api/webchat/sessions")).json()
        y_session = (await http.post(f"{y.url}/api/webchat/sessions")).json()
        # Fresh databases: both deployments have a customer with the same id.
        assert x_session["customer_id"] == y_session["customer_id"]
        ws_url = x.url.replace("http", "ws") + f"/ws/webchat?token={x_session['session_token']}"
        async with websockets.connect(ws_url) as ws:
            # Y's customer writes first, X's after; a socket gets its events in publish order,
            # so anything of Y's would arrive before X's own message.
            await send(http, y, y_session["session_token"], "Jan Kowalski, 600 100 200", "y1")
            x_message = await send(http, x, x_session["session_token"], "menu", "x1")
            received = []
            async with asyncio.timeout(10):
                while True:
                    frame = json.loads(await ws.recv())
                    if frame.get("type") == "message":
                        received.append(frame["message"])
                        if frame["message"]["id"] == x_message:
                            break
    assert [m["text"] for m in received] == ["menu"]
    assert all("Kowalski" not in m["text"] for m in received)


def test_the_namespace_follows_the_database_not_a_constant(tmp_path: Path) -> None:
    def namespace(**values: object) -> str:
        return make_settings(tmp_path, **values).resolved_redis_namespace()

    pg = "postgresql+asyncpg://shop:{}@db:5432/omnibot"
    # Instances of one deployment agree, whatever the password they were given.
    assert namespace(database_url=pg.format("a")) == namespace(database_url=pg.format("b"))
    assert namespace(database_url=pg.format("a")) != namespace(
        database_url="postgresql+asyncpg://shop:a@db:5432/other_shop"
    )
    assert namespace() != namespace(omnibot_data_dir=tmp_path / "elsewhere")
    assert namespace(redis_namespace="shop-1") == "shop-1"

"""Button payloads nobody made (crafted, broken, of the wrong types) through the web chat
API: each gets a polite reply, is processed rather than dropped, and the cart stays intact."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from bot.store.models import Message
from tests.conftest import make_settings, running_app

CRAFTED = [
    '/add_to_cart{"quantity": Infinity}',
    '/add_to_cart{"product": "margherita", "quantity": -Infinity}',
    '/add_to_cart{"product": "margherita", "size": "small", "quantity": NaN}',
    '/product_info{"product": []}',
    '/product_info{"product": {"id": "margherita"}}',
    '/allergens{"product": 42}',
    '/add_to_cart{"product": "margherita", "size": "small", "quantity": 1e308}',
    '/add_to_cart{"product": "margherita", "size": "small", "quantity": 99999999999999999999}',
    '/add_to_cart{"product": ["margherita"], "size": {"large": true}}',
    '/add_to_cart{"product": "margherita", "size": 42}',
    '/remove_from_cart{"product": "margherita", "quantity": [1]}',
    '/change_item{"size": null, "quantity": 3.5e9}',
    '/rate_order{"order_number": 12345, "rating": "lots"}',
    '/inform{"change": {"field": "address"}}',
    '/browse_menu{"category": true}',
    '/no_such_intent{"x": 1}',
    '/add_to_cart{"quantity": 1',
    "/add_to_cart" + '{"a":' * 150 + "1" + "}" * 150,
]


@pytest.fixture
async def webchat(tmp_path: Path):  # type: ignore[no-untyped-def]
    async with running_app(make_settings(tmp_path)) as (app, client):
        token = (await client.post("/api/webchat/sessions")).json()["session_token"]
        yield app, client, token


async def send(
    client: httpx.AsyncClient, token: str, cid: str, text: str = "", payload: str | None = None
) -> list[dict[str, object]]:
    body: dict[str, object] = {"session_token": token, "client_message_id": cid}
    if text:
        body["text"] = text
    if payload is not None:
        body["payload"] = payload
    r = await client.post("/api/webchat/messages", json=body)
    assert r.status_code == 200, r.text
    return list(r.json()["replies"])


@pytest.mark.parametrize("payload", CRAFTED)
async def test_a_crafted_payload_gets_a_polite_reply_and_leaves_the_cart_alone(
    webchat,  # type: ignore[no-untyped-def]
    payload: str,
) -> None:
    app, client, token = webchat
    await send(client, token, "add", "poproszę małą margheritę")
    replies = await send(client, token, "crafted", payload=payload)
    assert replies and all(str(r["text"]).strip() for r in replies)
    async with app.state.core.sessions() as s:
        crafted = await s.scalar(
            select(Message)
            .where(Message.payload.is_not(None))
            .where(Message.direction == "in")
            .order_by(Message.id.desc())
            .limit(1)
        )
        assert crafted is not None and crafted.delivery_status == "processed"
    cart = " ".join(str(r["text"]) for r in await send(client, token, "cart", "koszyk"))
    assert "1 × Margherita" in cart and "24,90 zł" in cart

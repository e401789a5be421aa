"""The web chat REST API: sessions, sending, history, and everything a browser can get wrong."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from unittest.mock import patch

import httpx
import itsdangerous
import pytest

from tests.conftest import make_settings, running_app


async def new_session(client: httpx.AsyncClient) -> str:
    r = await client.post("/api/webchat/sessions")
    assert r.status_code == 200
    return str(r.json()["session_token"])


async def send(
    client: httpx.AsyncClient,
    token: str,
    text: str | None = None,
    cid: str = "c1",
    payload: str | None = None,
) -> httpx.Response:
    body: dict[str, object] = {"session_token": token, "client_message_id": cid}
    if text is not None:
        body["text"] = text
    if payload is not None:
        body["payload"] = payload
    return await client.post("/api/webchat/messages", json=body)


async def history(client: httpx.AsyncClient, token: str, after: int = 0) -> list[dict]:  # type: ignore[type-arg]
    r = await client.get("/api/webchat/history", params={"token": token, "after": after})
    assert r.status_code == 200
    return list(r.json()["messages"])


async def test_conversation_with_buttons_and_history(client: httpx.AsyncClient) -> None:
    token = await new_session(client)
    r = await send(client, token, "cześć")
    assert r.status_code == 200
    body = r.json()
    assert body["message"]["author"] == "customer" and body["message"]["text"] == "cześć"
    reply = body["replies"][0]
    assert reply["author"] == "bot" and reply["channel"] == "webchat"
    assert {"id", "author", "text", "buttons", "created_at", "channel"} <= set(reply)
    menu = next(b for b in reply["buttons"] if b["title"] == "Menu")
    r = await send(client, token, menu["title"], cid="c2", payload=menu["payload"])
    categories = [b["title"] for b in r.json()["replies"][0]["buttons"]]
    assert "Pizze" in categories
    messages = await history(client, token)
    assert [m["author"] for m in messages] == ["customer", "bot", "customer", "bot"]
    # After a message: what came after it, with the few stored just before it again (a
    # message that committed late has its place there; the widget shows each id once).
    assert await history(client, token, after=messages[1]["id"]) == messages


async def test_the_session_and_the_replies_say_the_conversations_language(
    client: httpx.AsyncClient,
) -> None:
    """What the widget's own words follow: the session's language, each bot reply's."""
    r = await client.post("/api/webchat/sessions", json={"language": "pl"})
    token = r.json()["session_token"]
    assert r.json()["language"] == "pl"
    reply = (await send(client, token, "switch to english please")).json()["replies"][0]
    assert reply["language"] == "en" and "English" in reply["text"]
    # A reload resumes the session in English whatever the browser's language says.
    resumed = {"session_token": token, "language": "pl"}
    assert (await client.post("/api/webchat/sessions", json=resumed)).json()["language"] == "en"
    assert (await history(client, token))[-1]["language"] == "en"
    reply = (await send(client, token, "mów po polsku", cid="c2")).json()["replies"][0]
    assert reply["language"] == "pl"
    # A customer's own message says no language; a new session without one shows none yet.
    assert "language" not in (await history(client, token))[0]
    assert "language" not in (await client.post("/api/webchat/sessions")).json()


async def test_same_client_message_id_is_stored_and_answered_once(
    client: httpx.AsyncClient,
) -> None:
    token = await new_session(client)
    first = (await send(client, token, "menu", cid="same")).json()
    second = (await send(client, token, "menu", cid="same")).json()
    assert first == second
    assert len(await history(client, token)) == 2


async def test_a_session_only_sees_its_own_customer(client: httpx.AsyncClient) -> None:
    alice, bob = await new_session(client), await new_session(client)
    await send(client, alice, "poproszę dużą pepperoni", cid="a")
    # Bob reuses Alice's client_message_id: it is his own message, not a duplicate of hers.
    r = await send(client, bob, "koszyk", cid="a")
    assert r.status_code == 200
    assert "pusty" in r.json()["replies"][0]["text"]
    assert all("pepperoni" not in m["text"].lower() for m in await history(client, bob))
    assert any("pepperoni" in m["text"].lower() for m in await history(client, alice))


async def test_the_widget_language_is_a_hint_for_the_first_words(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/webchat/sessions", json={"language": "en"})
    token = r.json()["session_token"]
    reply = (await send(client, token, "menu")).json()["replies"][0]
    assert "category" in reply["text"]
    r = await client.post("/api/webchat/sessions", json={"language": "xx"})
    assert r.status_code == 422


async def test_a_duplicate_sent_while_the_first_is_answered_gets_the_same_answer(
    client: httpx.AsyncClient,
) -> None:
    token = await new_session(client)
    first, second = await asyncio.gather(
        send(client, token, "menu", cid="twice"), send(client, token, "menu", cid="twice")
    )
    assert first.json() == second.json() and first.json()["replies"]


async def test_resuming_a_session_keeps_the_customer(client: httpx.AsyncClient) -> None:
    r1 = await client.post("/api/webchat/sessions")
    r2 = await client.post(
        "/api/webchat/sessions", json={"session_token": r1.json()["session_token"]}
    )
    assert r2.status_code == 200 and r2.json()["customer_id"] == r1.json()["customer_id"]


@pytest.mark.parametrize("token", ["", "garbage", "eyJhIjoiMTIzIn0.forged.signature", "a" * 5000])
async def test_forged_tokens_are_refused(client: httpx.AsyncClient, token: str) -> None:
    r = await send(client, token, "cześć")
    assert r.status_code == 401 and r.json()["detail"]
    r = await client.get("/api/webchat/history", params={"token": token})
    assert r.status_code == 401
    r = await client.post("/api/webchat/sessions", json={"session_token": token or "x"})
    assert r.status_code == 401


async def test_expired_token_is_refused(tmp_path: Path) -> None:
    signer = itsdangerous.URLSafeTimedSerializer(
        "test-secret-key-for-the-test-suite-only", salt="omnibot.webchat.session"
    )
    with patch.object(time, "time", return_value=time.time() - 2 * 86400):
        token = signer.dumps({"a": "signed-two-days-ago"})
    async with running_app(make_settings(tmp_path, webchat_session_days=1)) as (_, client):
        r = await send(client, token, "cześć")
        assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_bad_input_gets_clear_errors_and_loses_nothing(client: httpx.AsyncClient) -> None:
    token = await new_session(client)
    await send(client, token, "cześć", cid="keep")
    before = await history(client, token)

    r = await client.post(
        "/api/webchat/messages", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert r.status_code == 422 and r.json()["detail"]
    r = await client.post("/api/webchat/messages", json={"session_token": token})
    assert r.status_code == 422  # client_message_id missing
    r = await send(client, token, "   ", cid="empty")
    assert r.status_code == 422 and "text" in r.json()["detail"]
    r = await send(client, token, "x" * 100_000, cid="huge")
    assert r.status_code == 413 and "at most" in r.json()["detail"]
    r = await client.post("/api/webchat/messages", json=["a", "list"])
    assert r.status_code == 422
    assert await history(client, token) == before

    # Odd but valid text gets a polite reply, stored exactly as typed (a fresh customer
    # each, so the fallback ladder's handoff does not silence the later ones).
    odd = ["\u202eRTL mark \u200f", "🍕🍕🍕", "<script>alert(1)</script>", "ctrl\x00\x1b chars"]
    stored = []
    for i, text in enumerate(odd):
        fresh = await new_session(client)
        r = await send(client, fresh, text, cid=f"odd{i}")
        assert r.status_code == 200, text
        assert r.json()["replies"], text
        stored.append(r.json()["message"]["text"])
    assert "<script>alert(1)</script>" in stored and "ctrl chars" in stored


async def test_health_metrics_and_pages(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json()["status"] == "ok"
    token = await new_session(client)
    await send(client, token, "cześć")
    metrics = (await client.get("/metrics")).text
    assert 'omnibot_messages_in_total{channel="webchat"}' in metrics
    widget = await client.get("/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    shop = await client.get("/")
    assert shop.status_code == 200 and "widget.js" in shop.text


async def test_a_restart_keeps_sessions_history_cart_and_the_question_asked(tmp_path: Path) -> None:
    # No SECRET_KEY: the one generated on first run is kept in the data dir.
    settings = make_settings(tmp_path, secret_key=None)
    async with running_app(settings) as (_, client):
        token = await new_session(client)
        await send(client, token, "poproszę dwie margherity", cid="r1")  # asks for the size
        before = await history(client, token)
    assert (tmp_path / "secret_key").exists()

    async with running_app(make_settings(tmp_path, secret_key=None)) as (_, client):
        assert await history(client, token) == before  # same token, same history
        answer = (await send(client, token, "duża", cid="r2")).json()["replies"][0]["text"]
        assert "2 × Margherita" in answer  # the question asked before the restart
        cart = (await send(client, token, "koszyk", cid="r3")).json()["replies"][0]["text"]
        assert "2 × Margherita" in cart


async def test_messages_record_the_requesters_address(tmp_path: Path) -> None:
    """Budgets for SMS codes and code guesses count the address a message came from."""
    from bot.store.models import Message

    async with running_app(make_settings(tmp_path)) as (app, client):
        token = (await client.post("/api/webchat/sessions")).json()["session_token"]
        r = await client.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": "cześć", "client_message_id": "a"},
        )
        async with app.state.core.sessions() as session:  # type: ignore[attr-defined]
            stored = await session.get(Message, r.json()["message"]["id"])
            assert stored is not None and stored.payload is not None
            assert stored.payload["facts"]["client_address"] == "127.0.0.1"


async def test_an_english_first_message_with_a_polish_address_is_answered_in_english(
    tmp_path: Path,
) -> None:
    async with running_app(make_settings(tmp_path)) as (_app, client):
        token = (await client.post("/api/webchat/sessions")).json()["session_token"]
        text = "hi, can I get two medium margheritas delivered to Długa 5, Kraków?"
        r = await client.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": text, "client_message_id": "a"},
        )
        replies = " ".join(m["text"] for m in r.json()["replies"])
        assert "Margherita" in replies and "medium" in replies.lower(), replies

"""What a hostile or broken client can send gets a clear 4xx or a polite reply, never a 500."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
import websockets

from bot.auth import create_user
from tests.conftest import LiveServer, make_settings, running_app

HUGE = "99999999999999999999"


async def session(client: httpx.AsyncClient) -> str:
    return str((await client.post("/api/webchat/sessions")).json()["session_token"])


async def test_huge_ids_and_broken_text_are_refused_cleanly(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path)) as (app, client):
        async with app.state.core.sessions() as s:  # type: ignore[attr-defined]
            await create_user(s, "ola@shop.pl", "correct horse", "admin")
        r = await client.post(
            "/api/auth/token", data={"username": "ola@shop.pl", "password": "correct horse"}
        )
        staff = {"Authorization": f"Bearer {r.json()['access_token']}"}
        token = await session(client)
        r = await client.get("/api/webchat/history", params={"token": token, "after": HUGE})
        assert r.status_code == 422
        for method, path in [
            ("GET", f"/api/customers/{HUGE}"),
            ("GET", f"/api/agent/conversations/{HUGE}"),
            ("POST", f"/api/agent/conversations/{HUGE}/assign"),
            ("GET", f"/api/admin/history/{HUGE}"),
            ("GET", "/api/customers/-1"),
        ]:
            r = await client.request(method, path, headers=staff)
            assert r.status_code == 422, (path, r.status_code)

        # A lone surrogate (broken UTF-16) in a message, a parse and operator content.
        body = f'{{"session_token": "{token}", "text": "hi \\ud800", "client_message_id": "s1"}}'
        r = await client.post(
            "/api/webchat/messages", content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code == 200 and r.json()["replies"]
        r = await client.post(
            "/api/nlu/parse",
            content='{"text": "\\ud800"}',
            headers={"content-type": "application/json"},
        )
        assert r.status_code == 200
        r = await client.put(
            "/api/admin/intents/zz",
            headers={**staff, "content-type": "application/json"},
            content='{"examples": {"en": ["\\ud800 there", "hello zz"]}}',
        )
        assert r.status_code == 422 and "invalid characters" in r.json()["detail"]
        assert (await client.get("/api/admin/history", headers=staff)).status_code == 200


async def test_cart_cannot_grow_by_removing_a_negative_amount(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path)) as (_, client):
        token = await session(client)

        async def send(cid: str, text: str, payload: str | None = None) -> str:
            body = {"session_token": token, "text": text, "client_message_id": cid}
            if payload:
                body["payload"] = payload
            r = await client.post("/api/webchat/messages", json=body)
            assert r.status_code == 200
            return " ".join(m["text"] for m in r.json()["replies"])

        await send("a", "poproszę małą margheritę")
        for quantity in (-100, int(HUGE) * -1):
            reply = await send(
                f"r{quantity}",
                "usuń",
                '/remove_from_cart{"product": "margherita", "quantity": ' + str(quantity) + "}",
            )
            assert "od 1 do" in reply
        cart = await send("c", "koszyk")
        assert "1 × Margherita" in cart and "24,90 zł" in cart


async def test_one_address_cannot_mint_customers_without_end(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path, webchat_new_sessions_per_ip=2)) as (_, client):
        first = await session(client)
        await session(client)
        r = await client.post("/api/webchat/sessions")
        assert r.status_code == 429 and "too many" in r.json()["detail"]
        resumed = await client.post("/api/webchat/sessions", json={"session_token": first})
        assert resumed.status_code == 200  # coming back is never limited


async def test_a_failing_message_gets_no_500_and_the_next_one_works(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path)) as (app, client):
        core = app.state.core  # type: ignore[attr-defined]
        good = core.interpreter

        class Broken:
            async def aparse(self, text: str, lang: str | None = None) -> dict:  # type: ignore[type-arg]
                raise RuntimeError("NLU exploded")

        core.interpreter = Broken()
        token = await session(client)
        r = await client.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": "menu", "client_message_id": "x"},
        )
        # Not a 500, and not silence either: the customer hears something went wrong.
        assert r.status_code == 200
        assert [m["text"] for m in r.json()["replies"]] == [
            core.dialogue.responses.render("action_failed", "pl")
        ]
        core.interpreter = good
        r = await client.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": "menu", "client_message_id": "y"},
        )
        assert r.status_code == 200 and r.json()["replies"]


@pytest.fixture
def staff_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = LiveServer(make_settings(tmp_path))
    server.start()
    yield server
    server.stop()


async def test_agent_socket_answers_bad_frames_with_errors(staff_server: LiveServer) -> None:
    import asyncio

    core = staff_server.app.state.core  # type: ignore[attr-defined]

    async def add() -> None:
        async with core.sessions() as s:
            await create_user(s, "ala@shop.pl", "correct horse", "agent")

    asyncio.run_coroutine_threadsafe(add(), core.loop).result(10)
    async with httpx.AsyncClient(base_url=staff_server.url) as http:
        r = await http.post(
            "/api/auth/token", data={"username": "ala@shop.pl", "password": "correct horse"}
        )
        bearer = r.json()["access_token"]
    url = staff_server.url.replace("http", "ws") + f"/ws/agent?token={bearer}"
    async with websockets.connect(url) as ws:
        for frame in [
            '{"type": "watch", "conversation_id": [1]}',
            "not json",
            f'{{"type": "watch", "conversation_id": {HUGE}}}',
            b"\x00binary",
        ]:
            await ws.send(frame)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["type"] == "error", frame


async def test_a_refused_body_is_not_written_to_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with running_app(make_settings(tmp_path)) as (_, client):
        token = await session(client)
        words = "my address is Długa 5 and my card 4111 1111 1111 1111"
        body = {"session_token": token, "text": words, "client_message_id": "a"}
        caplog.set_level(logging.INFO)
        for kwargs in ({"data": body}, {"content": json.dumps(body)}, {"json": [body]}):
            r = await client.post("/api/webchat/messages", **kwargs)  # type: ignore[arg-type]
            assert r.status_code == 422
        logged = "\n".join(record.getMessage() for record in caplog.records)
        assert "refused POST /api/webchat/messages" in logged  # refusals are still logged
        assert token not in logged and "4111" not in logged


async def test_a_lone_surrogate_is_taken_alike_by_the_socket_and_rest(
    staff_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Broken UTF-16 (an emoji cut in half): the text is kept with U+FFFD in the bad code
    point's place, and logged; an id or payload with one is refused, saying why."""
    import asyncio

    caplog.set_level(logging.WARNING, logger="bot.core")
    cut = "duża pepperoni \\ud83d proszę"  # a JSON escape of a lone high surrogate
    async with httpx.AsyncClient(base_url=staff_server.url) as http:
        token = await session(http)
        body = f'{{"session_token": "{token}", "text": "{cut}", "client_message_id": "r1"}}'
        r = await http.post(
            "/api/webchat/messages", content=body, headers={"content-type": "application/json"}
        )
        assert r.status_code == 200 and r.json()["replies"]
        by_rest = r.json()["message"]["text"]

        url = staff_server.url.replace("http", "ws") + f"/ws/webchat?token={token}"
        async with websockets.connect(url) as ws:
            await ws.send(f'{{"type": "message", "text": "{cut}", "client_message_id": "w1"}}')
            while True:
                frame = json.loads(await asyncio.wait_for(ws.recv(), 10))
                assert frame["type"] != "error", frame
                said = frame.get("message") or {}
                if said.get("client_message_id") == "w1":
                    break
            by_socket = said["text"]
            await ws.send(f'{{"type": "message", "text": "hej", "client_message_id": "{cut}"}}')
            refused = json.loads(await asyncio.wait_for(ws.recv(), 10))
            while refused["type"] != "error":  # the replies to the message before it first
                refused = json.loads(await asyncio.wait_for(ws.recv(), 10))
        history = (await http.get("/api/webchat/history", params={"token": token})).json()
    assert by_rest == by_socket == "duża pepperoni \ufffd proszę"
    assert refused == {
        "type": "error",
        "error": "client_message_id contains invalid characters (a lone UTF-16 surrogate)",
    }
    said = [m["text"] for m in history["messages"] if m["author"] == "customer"]
    assert said == [by_rest, by_socket]
    logged = [r.getMessage() for r in caplog.records if "surrogate" in r.getMessage()]
    assert len(logged) == 2

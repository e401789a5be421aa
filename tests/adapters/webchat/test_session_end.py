"""Web chat sessions end for good on "forget me" or an operator's action, and otherwise slide:
every visit renews the token, an unused one expires."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer
from starlette.testclient import TestClient

from bot.app import create_app
from bot.auth import create_user
from tests.conftest import make_settings, running_app


async def say(client: httpx.AsyncClient, token: str, text: str, n: str) -> httpx.Response:
    return await client.post(
        "/api/webchat/messages",
        json={"session_token": token, "text": text, "client_message_id": n},
    )


async def test_forget_me_ends_the_session_everywhere(tmp_path: Path) -> None:
    async with running_app(make_settings(tmp_path)) as (_app, client):
        first = (await client.post("/api/webchat/sessions")).json()
        token = first["session_token"]
        assert (await say(client, token, "poproszę margheritę", "a")).status_code == 200
        r = await client.post("/api/webchat/sessions/forget", json={"session_token": token})
        assert r.status_code == 204
        for r in [
            await say(client, token, "koszyk", "b"),
            await client.get(f"/api/webchat/history?token={token}"),
            await client.post("/api/webchat/sessions", json={"session_token": token}),
            await client.post("/api/webchat/sessions/forget", json={"session_token": token}),
        ]:
            assert r.status_code == 401 and "ended" in r.json()["detail"]
        fresh = (await client.post("/api/webchat/sessions")).json()
        assert fresh["customer_id"] != first["customer_id"]  # the device starts afresh
        history = await client.get(f"/api/webchat/history?token={fresh['session_token']}")
        assert history.json()["messages"] == []


def test_an_operator_ends_a_customers_sessions_and_open_chats_close(tmp_path: Path) -> None:
    with TestClient(create_app(make_settings(tmp_path))) as client:
        core = client.app.state.core  # type: ignore[attr-defined]

        async def staff() -> None:
            async with core.sessions() as s:
                await create_user(s, "ola@shop.pl", "correct horse", "operator")
                await create_user(s, "ala@shop.pl", "correct horse", "agent")

        client.portal.call(staff)  # type: ignore[union-attr]
        headers = {}
        for email in ("ola@shop.pl", "ala@shop.pl"):
            form = {"username": email, "password": "correct horse"}
            token = client.post("/api/auth/token", data=form).json()["access_token"]
            headers[email] = {"Authorization": f"Bearer {token}"}
        chat = client.post("/api/webchat/sessions").json()
        path = f"/api/customers/{chat['customer_id']}/webchat/end-sessions"
        with client.websocket_connect(f"/ws/webchat?token={chat['session_token']}") as ws:
            assert client.post(path, headers=headers["ala@shop.pl"]).status_code == 403
            r = client.post(path, headers=headers["ola@shop.pl"])
            assert r.json() == {"ended": 1}
            frame: dict[str, Any] = ws.receive_json()
            assert frame == {
                "type": "error",
                "error": "this chat session has ended; start a new one",
            }
        r = client.get(f"/api/webchat/history?token={chat['session_token']}")
        assert r.status_code == 401
        assert client.post(path, headers=headers["ola@shop.pl"]).json() == {"ended": 0}


async def test_a_token_in_use_expires_all_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_app(make_settings(tmp_path, webchat_session_days=1)) as (_app, client):
        token = (await client.post("/api/webchat/sessions")).json()["session_token"]
        assert (await say(client, token, "menu", "a")).status_code == 200
        assert (await say(client, token, "koszyk", "b")).status_code == 200
        a_day_later = time.time() + 1.1 * 86400
        monkeypatch.setattr(time, "time", lambda: a_day_later)
        r = await say(client, token, "menu", "c")
        assert r.status_code == 401 and "expired" in r.json()["detail"]


@pytest.mark.parametrize("days_ago, renewed", [(0.9, True), (1.1, False)])
async def test_sessions_slide_with_every_visit_and_expire_unused(
    tmp_path: Path, days_ago: float, renewed: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path, webchat_session_days=1)
    async with running_app(settings) as (_app, client):
        first = (await client.post("/api/webchat/sessions")).json()
        address = URLSafeTimedSerializer(
            "test-secret-key-for-the-test-suite-only", salt="omnibot.webchat.session"
        ).loads(first["session_token"])
        then = time.time() - days_ago * 86400
        with monkeypatch.context() as past:
            past.setattr(itsdangerous.timed.time, "time", lambda: then)
            old_token = URLSafeTimedSerializer(
                "test-secret-key-for-the-test-suite-only", salt="omnibot.webchat.session"
            ).dumps(address)
        r = await client.post("/api/webchat/sessions", json={"session_token": old_token})
        if not renewed:
            assert r.status_code == 401 and "expired" in r.json()["detail"]
            return
        assert r.json()["customer_id"] == first["customer_id"]
        new_token = r.json()["session_token"]
        assert new_token != old_token  # a fresh token: the lifetime starts again
        assert (await say(client, new_token, "menu", "a")).status_code == 200


@pytest.mark.parametrize("who", ["customer", "operator"])
def test_an_agent_is_told_the_customer_ended_the_chat_and_a_reply_reached_nobody(
    tmp_path: Path, who: str
) -> None:
    settings = make_settings(tmp_path, support_hours="00:00-23:59")
    with TestClient(create_app(settings)) as client:
        core = client.app.state.core  # type: ignore[attr-defined]

        async def staff() -> None:
            async with core.sessions() as s:
                await create_user(s, "ola@shop.pl", "correct horse", "operator")
                await create_user(s, "ala@shop.pl", "correct horse", "agent")

        client.portal.call(staff)  # type: ignore[union-attr]
        auth = {}
        for email in ("ola@shop.pl", "ala@shop.pl"):
            form = {"username": email, "password": "correct horse"}
            auth[email] = client.post("/api/auth/token", data=form).json()["access_token"]
        ala = {"Authorization": f"Bearer {auth['ala@shop.pl']}"}
        chat = client.post("/api/webchat/sessions").json()
        token = chat["session_token"]
        r = client.post(
            "/api/webchat/messages",
            json={
                "session_token": token,
                "text": "chcę rozmawiać z człowiekiem",
                "client_message_id": "a",
            },
        )
        assert r.status_code == 200
        queue = client.get("/api/agent/conversations?status=waiting_agent", headers=ala).json()
        conv = queue["conversations"][0]["id"]
        assert client.post(f"/api/agent/conversations/{conv}/assign", headers=ala).is_success
        messages = f"/api/agent/conversations/{conv}/messages"
        before = client.post(messages, headers=ala, json={"text": "Dzień dobry, tu Ala"}).json()
        assert "undelivered" not in before["message"]

        with client.websocket_connect(f"/ws/agent?token={auth['ala@shop.pl']}") as console:
            if who == "customer":
                r = client.post("/api/webchat/sessions/forget", json={"session_token": token})
                assert r.status_code == 204
            else:
                ola = {"Authorization": f"Bearer {auth['ola@shop.pl']}"}
                path = f"/api/customers/{chat['customer_id']}/webchat/end-sessions"
                assert client.post(path, headers=ola).json() == {"ended": 1}
            frame: dict[str, Any] = console.receive_json()
            moved: dict[str, Any] = console.receive_json()
        assert frame["type"] == "note" and frame["conversation_id"] == conv
        assert frame["message"]["private"] is True
        assert frame["message"]["system_note"] == "webchat_ended"
        assert frame["message"]["text"] == "The customer ended the web chat."
        # Reachable nowhere now: the conversation leaves the agent's "Mine" for the bot.
        assert moved == {"type": "queue", "conversation_id": conv, "status": "bot"}
        mine = client.get("/api/agent/conversations?status=agent", headers=ala).json()
        assert mine["conversations"] == []
        refused = client.post(messages, headers=ala, json={"text": "Halo?"})
        assert refused.status_code == 409

        # Taken again, a reply is kept in the thread, marked as reaching nobody.
        assert client.post(f"/api/agent/conversations/{conv}/assign", headers=ala).is_success
        after = client.post(messages, headers=ala, json={"text": "Jest Pan tam?"})
        assert after.status_code == 200
        assert after.json()["message"]["undelivered"] is True
        timeline = client.get(f"/api/agent/conversations/{conv}", headers=ala).json()
        rows = timeline["customer"]["timeline"]
        texts = [(m["text"], m.get("undelivered"), m.get("system_note")) for m in rows]
        assert texts[-3:] == [
            ("Dzień dobry, tu Ala", None, None),
            ("The customer ended the web chat.", None, "webchat_ended"),
            ("Jest Pan tam?", True, None),
        ]

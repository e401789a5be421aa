"""Per-session message rates on the web chat (REST and socket) and the NLU endpoint's rate."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from bot.app import create_app
from tests.conftest import make_settings, running_app


async def test_one_web_chat_session_cannot_flood_over_rest(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, messages_per_minute=5)
    async with running_app(settings) as (_app, client):
        token = (await client.post("/api/webchat/sessions")).json()["session_token"]
        other = (await client.post("/api/webchat/sessions")).json()["session_token"]
        codes = []
        for n in range(7):
            r = await client.post(
                "/api/webchat/messages",
                json={"session_token": token, "text": "menu", "client_message_id": f"m{n}"},
            )
            codes.append(r.status_code)
        assert codes == [200] * 5 + [429] * 2
        assert int(r.headers["Retry-After"]) > 0
        history = (await client.get(f"/api/webchat/history?token={token}")).json()["messages"]
        assert sum(m["author"] == "customer" for m in history) == 5  # the refused were not kept
        r = await client.post(
            "/api/webchat/messages",
            json={"session_token": other, "text": "menu", "client_message_id": "x"},
        )
        assert r.status_code == 200  # another visitor is not affected


def test_socket_frames_share_the_session_budget(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, messages_per_minute=3)
    with TestClient(create_app(settings)) as client:
        token = client.post("/api/webchat/sessions").json()["session_token"]
        r = client.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": "menu", "client_message_id": "rest"},
        )
        assert r.status_code == 200
        with client.websocket_connect(f"/ws/webchat?token={token}") as ws:
            for n in range(4):
                ws.send_text(
                    json.dumps({"type": "message", "text": "hi", "client_message_id": str(n)})
                )
            errors = []
            customer = set()
            while len(errors) < 2 or len(customer) < 3:
                frame = ws.receive_json()
                if frame["type"] == "error":
                    errors.append(frame["error"])
                elif frame["type"] == "message" and frame["message"]["author"] == "customer":
                    customer.add(frame["message"]["id"])
        assert errors == ["too many messages; please slow down"] * 2
        history = client.get(f"/api/webchat/history?token={token}").json()["messages"]
        assert [m["client_message_id"] for m in history if m["author"] == "customer"] == [
            "rest",
            "0",
            "1",
        ]


async def test_the_nlu_endpoint_is_rate_limited_per_address(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, nlu_parse_per_minute=3)
    async with running_app(settings) as (_app, client):
        codes = [
            (await client.post("/api/nlu/parse", json={"text": "menu"})).status_code
            for _ in range(4)
        ]
        assert codes == [200, 200, 200, 429]


def test_one_session_cannot_loop_over_its_history_or_sockets(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, webchat_reads_per_minute=3)
    with TestClient(create_app(settings)) as client:
        token = client.post("/api/webchat/sessions").json()["session_token"]
        other = client.post("/api/webchat/sessions").json()["session_token"]
        said = {"session_token": token, "text": "menu", "client_message_id": "m"}
        assert client.post("/api/webchat/messages", json=said).status_code == 200
        for _ in range(2):
            r = client.get(f"/api/webchat/history?token={token}&limit=1000")
            assert r.status_code == 200 and r.json()["messages"]
        with client.websocket_connect(f"/ws/webchat?token={token}") as ws:
            assert ws.receive_json()["type"] == "message"  # the third read: its catch-up
        r = client.get(f"/api/webchat/history?token={token}")
        assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
        assert "too many" in r.json()["detail"]
        with client.websocket_connect(f"/ws/webchat?token={token}") as ws:
            frame = ws.receive_json()
            assert frame["type"] == "error" and "too many" in frame["error"]
            assert ws.receive()["code"] == 1013  # closed: try again later
        # Writing is another budget, and another visitor reads as before.
        said = {"session_token": token, "text": "koszyk", "client_message_id": "n"}
        assert client.post("/api/webchat/messages", json=said).status_code == 200
        assert client.get(f"/api/webchat/history?token={other}").status_code == 200


def test_a_flood_over_the_budget_is_logged_once_not_per_frame(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(tmp_path, messages_per_minute=1)
    caplog.set_level(logging.WARNING, logger="bot.ratelimit")
    with TestClient(create_app(settings)) as client:
        tokens = [client.post("/api/webchat/sessions").json()["session_token"] for _ in range(2)]
        for token in tokens:
            with client.websocket_connect(f"/ws/webchat?token={token}") as ws:
                for n in range(30):
                    ws.send_text(
                        json.dumps({"type": "message", "text": "hi", "client_message_id": str(n)})
                    )
                errors = 0
                while errors < 29:  # every frame over the budget is still refused, with why
                    frame = ws.receive_json()
                    errors += frame["type"] == "error"
    spent = [r for r in caplog.records if "budget messages spent" in r.getMessage()]
    assert len(spent) == 2  # one line per session and window, not one per frame

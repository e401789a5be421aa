"""The live web chat socket against a real uvicorn server: catch-up, live replies, reconnect."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import websockets

import adapters.webchat.adapter
from bot.store import repo
from bot.store.models import Message, utcnow
from tests.conftest import LiveServer


async def recv_until(ws: Any, predicate: Any, timeout: float = 5) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if predicate(frame):
                return frames


def is_bot_message(frame: dict[str, Any]) -> bool:
    return frame.get("type") == "message" and frame["message"]["author"] == "bot"


async def test_socket_sends_replies_live_and_resumes_without_loss(live_server: LiveServer) -> None:
    ws_url = live_server.url.replace("http", "ws") + "/ws/webchat"
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        async with websockets.connect(f"{ws_url}?token={token}") as ws:
            await ws.send(
                json.dumps({"type": "message", "text": "cześć", "client_message_id": "m1"})
            )
            frames = await recv_until(ws, is_bot_message)
            echo = next(f for f in frames if f["type"] == "message")
            assert echo["message"]["author"] == "customer"
            assert echo["message"]["client_message_id"] == "m1"
            last_id = frames[-1]["message"]["id"]
            seen = {f["message"]["id"] for f in frames if f["type"] == "message"}

        # Offline: a message is sent over REST (another tab); its replies must not be lost.
        r = await http.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": "koszyk", "client_message_id": "m2"},
        )
        missed = [r.json()["message"]["id"], *[m["id"] for m in r.json()["replies"]]]

        async with websockets.connect(f"{ws_url}?token={token}&after={last_id}") as ws:
            frames = await recv_until(ws, lambda f: f.get("message", {}).get("id") == missed[-1])
            ids = [f["message"]["id"] for f in frames if f["type"] == "message"]
            # The missed ones, once each, in order, after the few just before `after` again
            # (the client shows each id once).
            assert ids == sorted(set(ids))
            assert [i for i in ids if i > last_id] == missed
            assert {i for i in ids if i <= last_id} <= seen
            await ws.send(
                json.dumps({"type": "message", "text": "menu", "client_message_id": "m3"})
            )
            frames = await recv_until(ws, is_bot_message)
            ids += [f["message"]["id"] for f in frames if f["type"] == "message"]
            assert len(ids) == len(set(ids))


async def test_the_dots_show_only_while_a_slow_answer_is_coming(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws_url = live_server.url.replace("http", "ws") + "/ws/webchat"
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
    async with websockets.connect(f"{ws_url}?token={token}") as ws:
        # An answer quicker than the wait: no dots at all (a frame of the first turn would
        # come before the second turn's reply: one socket's messages are handled in order).
        monkeypatch.setattr(adapters.webchat.adapter, "TYPING_AFTER_S", 3600.0)
        frames: list[dict[str, Any]] = []
        for n, text in enumerate(["cześć", "menu"]):
            await ws.send(
                json.dumps({"type": "message", "text": text, "client_message_id": f"q{n}"})
            )
            frames += await recv_until(ws, is_bot_message)
        assert [f for f in frames if f["type"] == "typing"] == []
        assert sum(map(is_bot_message, frames)) >= 2
        # An answer slower than the wait: the dots, then (the turn over) no dots.
        monkeypatch.setattr(adapters.webchat.adapter, "TYPING_AFTER_S", 0.0)
        await ws.send(json.dumps({"type": "message", "text": "koszyk", "client_message_id": "q2"}))
        frames = await recv_until(ws, lambda f: f == {"type": "typing", "typing": False})
        typing = [f["typing"] for f in frames if f["type"] == "typing"]
        assert typing == [True, False]
        assert any(is_bot_message(f) for f in frames)


async def test_socket_refuses_forged_token_and_bad_frames(live_server: LiveServer) -> None:
    ws_url = live_server.url.replace("http", "ws") + "/ws/webchat"
    async with websockets.connect(f"{ws_url}?token=forged") as ws:
        frame = json.loads(await ws.recv())
        assert frame["type"] == "error" and "invalid" in frame["error"]
        await asyncio.wait_for(ws.wait_closed(), 5)
        assert ws.close_code == 4401
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
    async with websockets.connect(f"{ws_url}?token={token}") as ws:
        await ws.send("not json")
        assert json.loads(await ws.recv())["type"] == "error"
        await ws.send(json.dumps({"type": "message", "text": "hi"}))  # no client_message_id
        assert "client_message_id" in json.loads(await ws.recv())["error"]
        await ws.send(
            json.dumps({"type": "message", "text": "x" * 20_000, "client_message_id": "big"})
        )
        assert "at most" in json.loads(await ws.recv())["error"]
        # The socket still works afterwards.
        await ws.send(json.dumps({"type": "message", "text": "cześć", "client_message_id": "ok"}))
        await recv_until(ws, is_bot_message)


async def test_socket_follows_the_customer_through_a_join(live_server: LiveServer) -> None:
    """After "Continue in Telegram" the web chat shows what happens in Telegram, live."""
    from concurrent.futures import Future

    from bot.messages import InboundMessage
    from tests.bot.channel import CollectingChannel

    class Telegramish(CollectingChannel):
        def deep_link(self, token: str) -> str:
            return f"https://t.me/test_bot?start={token}"

    core = live_server.app.state.core  # type: ignore[attr-defined]
    core.register_channel(Telegramish("tg"))
    loop = core.loop

    def on_server(coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future

    ws_url = live_server.url.replace("http", "ws") + "/ws/webchat"
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        async with websockets.connect(f"{ws_url}?token={token}") as ws:
            await ws.send(
                json.dumps({"type": "message", "text": "połącz konto", "client_message_id": "l1"})
            )
            frames = await recv_until(ws, is_bot_message)
            link = frames[-1]["message"]["text"]
            start = link.index("start=") + len("start=")
            link_token = link[start:].split()[0]
            # Telegram already has its own history; the deep link joins the two once the
            # Telegram customer says it was them.
            await asyncio.wrap_future(
                on_server(
                    core.receive(InboundMessage(channel="tg", address="77", text="poproszę colę"))
                )
            )
            await asyncio.wrap_future(
                on_server(
                    core.receive(
                        InboundMessage(
                            channel="tg",
                            address="77",
                            text="/start",
                            meta={"link_token": link_token},
                        )
                    )
                )
            )
            await asyncio.wrap_future(
                on_server(core.receive(InboundMessage(channel="tg", address="77", text="tak")))
            )
            frames = await recv_until(
                ws, lambda f: f.get("type") == "message" and "poproszę colę" in f["message"]["text"]
            )
            frames += await recv_until(
                ws, lambda f: f.get("type") == "message" and "Połączyłem" in f["message"]["text"]
            )
            channels = {f["message"]["channel"] for f in frames if f.get("type") == "message"}
            assert "tg" in channels
            # Live from now on: a Telegram message shows up in the web chat at once.
            await asyncio.wrap_future(
                on_server(core.receive(InboundMessage(channel="tg", address="77", text="koszyk")))
            )
            await recv_until(
                ws, lambda f: f.get("type") == "message" and f["message"]["text"] == "koszyk"
            )


async def test_a_long_history_comes_newest_page_first_and_reads_back_to_the_first(
    live_server: LiveServer,
) -> None:
    """History without `after` and a socket that has shown nothing give the same newest
    page; `before` reads back from it page by page to the first message, each once."""
    core: Any = live_server.app.state.core
    async with httpx.AsyncClient(base_url=live_server.url, timeout=30) as http:
        session = (await http.post("/api/webchat/sessions")).json()
        token, customer_id = session["session_token"], session["customer_id"]
        await asyncio.wrap_future(
            asyncio.run_coroutine_threadsafe(store_messages(core, customer_id, 1_200), core.loop)
        )
        first = (await http.get("/api/webchat/history", params={"token": token})).json()
        newest = [m["id"] for m in first["messages"]]
        assert len(newest) == 500 and first["older"] is True
        assert first["messages"][-1]["text"] == "wiadomość 1200"
        pages, older, before = [newest], first["older"], newest[0]
        while older:
            params = {"token": token, "before": before, "limit": 300}
            page = (await http.get("/api/webchat/history", params=params)).json()
            pages.insert(0, [m["id"] for m in page["messages"]])
            older, before = page["older"], pages[0][0]
        read = [i for page in pages for i in page]
        assert [len(p) for p in pages] == [100, 300, 300, 500]
        assert read == sorted(set(read)) and len(read) == 1_200

        ws_url = live_server.url.replace("http", "ws") + f"/ws/webchat?token={token}"
        async with websockets.connect(ws_url) as ws:
            frames = await recv_until(ws, lambda f: f.get("message", {}).get("id") == newest[-1])
        assert [f["message"]["id"] for f in frames if f["type"] == "message"] == newest

        both = {"token": token, "after": newest[-1], "before": newest[0]}
        r = await http.get("/api/webchat/history", params=both)
        assert r.status_code == 422 and "either" in r.json()["detail"]


async def store_messages(core: Any, customer_id: int, count: int) -> None:
    """A long conversation already stored (and answered), oldest first, all in the last
    moments (so a socket's catch-up sends its last 100 again)."""
    async with core.sessions() as session:
        conversation = await repo.conversation_of(session, customer_id)
        for n in range(1, count + 1):
            customer = n % 2 == 1
            session.add(
                Message(
                    customer_id=customer_id,
                    conversation_id=conversation.id,
                    direction="in" if customer else "out",
                    author="customer" if customer else "bot",
                    channel="webchat",
                    text=f"wiadomość {n}",
                    delivery_status="processed" if customer else "sent",
                    created_at=utcnow(),
                )
            )
        await session.commit()

"""The orders API and live feed for the shop's staff: roles, order details, accept/reject."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from bot.auth import create_user
from tests.conftest import LiveServer, make_settings, running_app

PASSWORD = "correct horse"
_ids = itertools.count(1)
STAFF = {
    "kuchnia@shop.pl": "kitchen",
    "ala@shop.pl": "agent",
    "ola@shop.pl": "operator",
}


async def add_staff(core: Any) -> None:
    async with core.sessions() as s:
        for email, role in STAFF.items():
            await create_user(s, email, PASSWORD, role)


async def login(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    r = await http.post("/api/auth/token", data={"username": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def webchat_order(http: httpx.AsyncClient, *, delivery: bool = False) -> tuple[str, str]:
    """A web chat customer orders a large margherita; their session token and the number."""
    token = (await http.post("/api/webchat/sessions")).json()["session_token"]
    steps: list[dict[str, str]] = [
        {"text": "poproszę dużą margheritę i colę"},
        {"payload": "/checkout"},
        {"payload": '/inform{"fulfilment": "%s"}' % ("delivery" if delivery else "pickup")},
        *([{"text": "ul. Długa 5, Kraków"}] if delivery else []),
        {"text": "Jan Kowalski, 600 111 222"},
        {"text": "bez cebuli proszę"},
        {"text": "potwierdzam, zapłacę kartą"},
    ]
    replies: list[dict[str, Any]] = []
    for step in steps:
        body = {"session_token": token, "client_message_id": f"m{next(_ids)}", **step}
        r = await http.post("/api/webchat/messages", json=body)
        assert r.status_code == 200, r.text
        replies = r.json()["replies"]
    placed = " ".join(m["text"] for m in replies)
    number = next((w.strip(".,") for w in placed.split() if w.startswith("PZ-")), None)
    assert number, placed
    return token, number


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async with running_app(make_settings(tmp_path)) as (app, http):
        core: Any = app.state.core  # type: ignore[attr-defined]
        await add_staff(core)
        yield core, http


async def test_the_kitchen_reaches_the_orders_and_nothing_else(env: Any) -> None:
    _core, http = env
    chat_token, number = await webchat_order(http)
    kitchen = await login(http, "kuchnia@shop.pl")
    assert (await http.get("/api/orders", headers=kitchen)).status_code == 200
    assert (await http.get(f"/api/orders/{number}", headers=kitchen)).status_code == 200
    assert (await http.get("/api/auth/me", headers=kitchen)).json()["role"] == "kitchen"
    r = await http.get(f"/api/orders/{number}", headers=kitchen)
    customer_id = r.json()["customer"]["id"]
    for path in (
        "/api/agent/conversations",
        f"/api/customers/{customer_id}",
        "/api/admin/intents",
        "/api/admin/faq",
        "/api/admin/products",
        "/api/admin/analytics",
    ):
        assert (await http.get(path, headers=kitchen)).status_code == 403, path
    # Anonymous callers and web chat customers reach none of it.
    chat = {"Authorization": f"Bearer {chat_token}"}
    for headers in ({}, chat):
        assert (await http.get("/api/orders", headers=headers)).status_code == 401
        assert (await http.get(f"/api/orders/{number}", headers=headers)).status_code == 401
        r = await http.post(f"/api/orders/{number}/status", json={}, headers=headers)
        assert r.status_code == 401
    r = await http.get(f"/api/orders/{number}", headers=kitchen)
    assert r.json()["status"] == "new"  # nobody but staff moved it


async def test_an_order_shows_items_customer_and_history_with_who_and_when(env: Any) -> None:
    _core, http = env
    _, number = await webchat_order(http, delivery=True)
    kitchen = await login(http, "kuchnia@shop.pl")
    r = await http.post(
        f"/api/orders/{number}/status",
        json={"status": "confirmed", "eta_minutes": 30},
        headers=kitchen,
    )
    assert r.status_code == 200, r.text
    order = (await http.get(f"/api/orders/{number}", headers=kitchen)).json()
    items = {(i["product_id"], i["size"], i["quantity"]) for i in order["items"]}
    assert items == {("margherita", "large", 1), ("cola", None, 1)}
    assert order["fulfilment"] == "delivery" and order["address"] == "ul. Długa 5, Kraków"
    assert order["contact_name"] == "Jan Kowalski" and order["contact_phone"] == "+48600111222"
    # Staff read the number as people write it, and each item as one plain line.
    assert order["contact_phone_text"] == "600 111 222"
    assert [i["labels"] for i in order["items"]] == [
        {"pl": "Margherita, duża (42 cm)", "en": "Margherita, large (42 cm)"},
        {"pl": "Cola 0,5 l", "en": "Cola 0.5 l"},  # as the menu names it in each language
    ]
    assert order["note"] == "bez cebuli proszę" and order["channel"] == "webchat"
    assert order["customer"]["name"] == "Jan Kowalski"
    steps = [(h["previous"], h["status"], h["by"], h["eta_minutes"]) for h in order["history"]]
    assert steps == [(None, "new", "customer", None), ("new", "confirmed", "kuchnia@shop.pl", 30)]
    placed = datetime.fromisoformat(order["history"][0]["at"])
    ready = datetime.fromisoformat(order["ready_at"])
    assert 30 * 60 - 5 < (ready - placed).total_seconds() < 30 * 60 + 60
    listed = (await http.get("/api/orders?status=confirmed", headers=kitchen)).json()["orders"]
    assert [o["number"] for o in listed] == [number]
    assert (await http.get("/api/orders?status=new", headers=kitchen)).json()["orders"] == []
    r = await http.get("/api/orders?status=eaten", headers=kitchen)
    assert r.status_code == 422
    r = await http.get("/api/orders?since=yesterday", headers=kitchen)
    assert r.status_code == 422 and "ISO" in r.json()["detail"]
    future = (await http.get("/api/orders?since=2999-01-01T00:00", headers=kitchen)).json()
    assert future["orders"] == []
    assert (await http.get("/api/orders/PZ-00000", headers=kitchen)).status_code == 404


async def test_the_orders_api_can_be_followed_by_position_page_by_page(env: Any) -> None:
    _core, http = env
    kitchen = await login(http, "kuchnia@shop.pl")
    start = (await http.get("/api/orders", headers=kitchen)).json()
    assert start["orders"] == []
    a, b, c = [(await webchat_order(http))[1] for _ in range(3)]
    r = await http.post(f"/api/orders/{a}/status", json={"eta_minutes": 20}, headers=kitchen)
    assert r.status_code == 200, r.text
    # Pages of two changes: A and B placed, then C placed and A accepted. Each order comes
    # as it is now, in the order of its last change, and again when it changes again.
    pages, seq = [], start["seq"]
    while True:
        page = (await http.get(f"/api/orders?after={seq}&limit=2", headers=kitchen)).json()
        if not page["orders"]:
            assert page["seq"] == seq
            break
        pages.append([(o["number"], o["status"]) for o in page["orders"]])
        seq = page["seq"]
    assert pages == [[(b, "new"), (a, "confirmed")], [(c, "new"), (a, "confirmed")]]
    confirmed = await http.get(
        f"/api/orders?after={start['seq']}&status=confirmed", headers=kitchen
    )
    assert [o["number"] for o in confirmed.json()["orders"]] == [a]
    assert confirmed.json()["seq"] == seq
    r = await http.get("/api/orders?after=0&since=2026-01-01T00:00", headers=kitchen)
    assert r.status_code == 422 and "either" in r.json()["detail"]
    assert (await http.get("/api/orders?after=-1", headers=kitchen)).status_code == 422


async def test_a_note_typed_at_the_summary_reaches_the_kitchen_and_corrections_still_correct(
    env: Any,
) -> None:
    _core, http = env
    token = (await http.post("/api/webchat/sessions")).json()["session_token"]
    kitchen = await login(http, "kuchnia@shop.pl")

    async def say(text: str) -> str:
        body = {"session_token": token, "client_message_id": f"m{next(_ids)}", "text": text}
        r = await http.post("/api/webchat/messages", json=body)
        assert r.status_code == 200, r.text
        return " ".join(m["text"] for m in r.json()["replies"])

    for text in ("poproszę dwie duże margherity i colę", "zamawiam", "odbiór osobisty"):
        await say(text)
    assert "Podsumowanie" in await say("Ola Nowak, 600 700 900")
    # The summary invites a note: typed there, it is kept and shown, and nothing is placed.
    assert "Uwagi: proszę pokroić na 8 kawałków" in await say("proszę pokroić na 8 kawałków")
    # Corrections typed at the summary are corrections, not notes.
    await say("jednak średnie")
    await say("usuń colę")
    assert (await http.get("/api/orders", headers=kitchen)).json()["orders"] == []
    placed = await say("potwierdzam, kartą")
    number = next(w.strip(".,") for w in placed.split() if w.startswith("PZ-"))
    order = (await http.get(f"/api/orders/{number}", headers=kitchen)).json()
    assert {(i["product_id"], i["size"], i["quantity"]) for i in order["items"]} == {
        ("margherita", "medium", 2)
    }
    assert order["note"] == "proszę pokroić na 8 kawałków"
    assert order["total"] == 6580 and order["payment_method"] == "card"
    [listed] = (await http.get("/api/orders?status=new", headers=kitchen)).json()["orders"]
    assert listed["number"] == number and listed["note"] == "proszę pokroić na 8 kawałków"


async def test_a_change_agreed_after_ordering_reaches_the_board_as_a_note(env: Any) -> None:
    """An agent who agreed "+ garlic sauce" with the customer adds it to the open order's note:
    the board's feed brings the order again with it, the history says who; the customer is
    not sent anything. A finished order takes no note."""
    _core, http = env
    chat_token, number = await webchat_order(http)
    agent, kitchen = await login(http, "ala@shop.pl"), await login(http, "kuchnia@shop.pl")
    seq = (await http.get("/api/orders", headers=kitchen)).json()["seq"]
    said = len((await http.get(f"/api/webchat/history?token={chat_token}")).json()["messages"])

    url = f"/api/orders/{number}/note"
    r = await http.post(
        url, json={"text": " + sos czosnkowy, kierowca dopłaci 3 zł "}, headers=agent
    )
    assert r.status_code == 200, r.text
    assert r.json()["note"] == "bez cebuli proszę\n+ sos czosnkowy, kierowca dopłaci 3 zł"
    [changed] = (await http.get(f"/api/orders?after={seq}", headers=kitchen)).json()["orders"]
    assert changed["number"] == number and changed["note"].endswith("kierowca dopłaci 3 zł")
    step = changed["history"][-1]
    assert (step["by"], step["status"], step["previous"]) == ("ala@shop.pl", "new", "new")
    assert step["reason"] == "+ sos czosnkowy, kierowca dopłaci 3 zł"
    history = (await http.get(f"/api/webchat/history?token={chat_token}")).json()["messages"]
    assert len(history) == said

    assert (await http.post(url, json={"text": "  "}, headers=agent)).status_code == 422
    missing = await http.post("/api/orders/PZ-00000/note", json={"text": "x"}, headers=agent)
    assert missing.status_code == 404 and missing.json()["code"] == "no_order"
    assert (await http.post(url, json={"text": "x"})).status_code == 401
    for status in ("confirmed", "preparing", "ready_for_pickup", "completed"):
        moved = await http.post(
            f"/api/orders/{number}/status", json={"status": status}, headers=kitchen
        )
        assert moved.status_code == 200, moved.text
    late = await http.post(url, json={"text": "+ cola"}, headers=agent)
    assert late.status_code == 409 and late.json()["code"] == "order_already"


async def test_accepting_with_a_time_tells_the_customer_when_once(env: Any) -> None:
    core, http = env
    chat_token, number = await webchat_order(http)
    kitchen = await login(http, "kuchnia@shop.pl")
    url = f"/api/orders/{number}/status"
    r = await http.post(url, json={"status": "preparing", "eta_minutes": 30}, headers=kitchen)
    assert r.status_code == 422  # a time goes with accepting
    r = await http.post(url, json={"status": "confirmed", "eta_minutes": 30}, headers=kitchen)
    ready = core.dialogue.catalog.facts.local(datetime.fromisoformat(r.json()["ready_at"]))
    again = await http.post(url, json={"status": "confirmed", "eta_minutes": 45}, headers=kitchen)
    assert again.status_code == 409
    history = (await http.get(f"/api/webchat/history?token={chat_token}")).json()["messages"]
    told = [m["text"] for m in history if "potwierdził" in m["text"]]
    assert len(told) == 1 and f"{ready:%H:%M}" in told[0], told


async def test_rejecting_needs_a_reason_and_offers_a_person(env: Any) -> None:
    _core, http = env
    chat_token, number = await webchat_order(http)
    kitchen = await login(http, "kuchnia@shop.pl")
    url = f"/api/orders/{number}/status"
    r = await http.post(url, json={"status": "rejected"}, headers=kitchen)
    assert r.status_code == 422 and "reason" in r.json()["detail"]
    r = await http.post(url, json={"status": "rejected", "reason": "ingredient"}, headers=kitchen)
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert r.json()["history"][-1]["reason"] == "ingredient"
    history = (await http.get(f"/api/webchat/history?token={chat_token}")).json()["messages"]
    last = history[-1]
    assert "zabrakło składnika" in last["text"]
    assert [b["payload"] for b in last["buttons"]] == ["/human_handoff"]
    r = await http.post(url, json={"status": "confirmed"}, headers=kitchen)
    assert r.status_code == 409  # rejected is final
    # Too late to reject once the kitchen is making it.
    _, second = await webchat_order(http)
    for status in ("confirmed", "preparing"):
        await http.post(f"/api/orders/{second}/status", json={"status": status}, headers=kitchen)
    r = await http.post(
        f"/api/orders/{second}/status",
        json={"status": "rejected", "reason": "closed"},
        headers=kitchen,
    )
    assert r.status_code == 409


async def recv_until(ws: Any, predicate: Any) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(15):
        while True:
            frame = json.loads(await ws.recv())
            frames.append(frame)
            if predicate(frame, frames):
                return frames


def numbers_in(frames: list[dict[str, Any]]) -> list[str]:
    return [o["number"] for f in frames for o in f.get("orders", [])]


async def test_a_board_that_reconnects_gets_what_it_missed_once(live_server: LiveServer) -> None:
    core: Any = live_server.app.state.core
    await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(add_staff(core), core.loop))
    ws_base = live_server.url.replace("http", "ws") + "/ws/orders"
    async with httpx.AsyncClient(base_url=live_server.url) as http:
        _, first = await webchat_order(http)
        async with websockets.connect(f"{ws_base}?token=nonsense") as ws:
            frame = json.loads(await ws.recv())
            assert frame["type"] == "error"
        chat_token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        async with websockets.connect(f"{ws_base}?token={chat_token}") as ws:
            assert json.loads(await ws.recv())["type"] == "error"
        headers = await login(http, "kuchnia@shop.pl")
        token = headers["Authorization"].split()[1]
        agent_ws = live_server.url.replace("http", "ws") + f"/ws/agent?token={token}"
        async with websockets.connect(agent_ws) as ws:  # the kitchen sees no conversations
            assert json.loads(await ws.recv())["type"] == "error"
        async with websockets.connect(f"{ws_base}?token={token}") as ws:
            hello = json.loads(await ws.recv())
            assert hello["snapshot"] and numbers_in([hello]) == [first]
            assert hello["timezone"] == "Europe/Warsaw"
            seq = hello["seq"]
        # The socket is gone while two orders arrive.
        _, second = await webchat_order(http)
        _, third = await webchat_order(http)
        async with websockets.connect(f"{ws_base}?token={token}&after={seq}") as ws:
            frames = await recv_until(ws, lambda f, fs: {second, third} <= set(numbers_in(fs)))
            assert sorted(numbers_in(frames)) == sorted([second, third])
            # Live from here: the kitchen accepts one; it comes once, as confirmed.
            r = await http.post(
                f"/api/orders/{second}/status", json={"eta_minutes": 15}, headers=headers
            )
            assert r.status_code == 200
            frames = await recv_until(ws, lambda f, fs: second in numbers_in([f]))
            card = next(o for o in frames[-1]["orders"] if o["number"] == second)
            assert card["status"] == "confirmed"
            assert numbers_in(frames) == [second]


async def test_the_customer_profile_lists_each_orders_items_and_checkout_contact(env: Any) -> None:
    _core, http = env
    _, number = await webchat_order(http, delivery=True)
    kitchen = await login(http, "kuchnia@shop.pl")
    customer_id = (await http.get(f"/api/orders/{number}", headers=kitchen)).json()["customer"]
    agent = await login(http, "ala@shop.pl")
    profile = (await http.get(f"/api/customers/{customer_id['id']}", headers=agent)).json()
    [order] = profile["orders"]
    assert order["number"] == number
    assert [(i["label"], i["quantity"]) for i in order["items"]] == [
        ("Margherita, duża (42 cm)", 1),
        ("Cola 0,5 l", 1),
    ]
    assert order["items"][0]["labels"] == {
        "pl": "Margherita, duża (42 cm)",
        "en": "Margherita, large (42 cm)",
    }
    assert order["address"] == "ul. Długa 5, Kraków"
    assert order["contact_phone_text"] == "600 111 222"
    assert profile["contact"] == {
        "name": "Jan Kowalski",
        "phone": "+48600111222",
        "phone_text": "600 111 222",
        "order": number,
    }

"""Human handoff through the agent API, role boundaries, and two agents racing."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from bot.auth import create_user, issue_token
from bot.store.models import Conversation, DialogueState
from tests.conftest import make_settings, running_app

PROTECTED = [
    ("GET", "/api/agent/conversations"),
    ("GET", "/api/agent/conversations/1"),
    ("POST", "/api/agent/conversations/1/assign"),
    ("POST", "/api/agent/conversations/1/messages"),
    ("POST", "/api/agent/conversations/1/notes"),
    ("POST", "/api/agent/conversations/1/resolve"),
    ("GET", "/api/customers/1"),
    ("GET", "/api/customers/1/timeline"),
]


async def login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    r = await client.post("/api/auth/token", data={"username": email, "password": password})
    assert r.status_code == 200, r.text
    assert r.json()["token_type"] == "bearer"
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
async def env(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, database_url=database_url, support_hours="00:00-23:59")
    async with running_app(settings) as (app, client):
        core = app.state.core  # type: ignore[attr-defined]
        async with core.sessions() as s:
            for email, role in [
                ("ala@shop.pl", "agent"),
                ("bob@shop.pl", "agent"),
                ("ola@shop.pl", "operator"),
            ]:
                await create_user(s, email, "correct horse", role)
        yield app, client


async def webchat(client: httpx.AsyncClient) -> tuple[str, Any]:
    r = await client.post("/api/webchat/sessions")
    token = r.json()["session_token"]
    n = 0

    async def say(text: str) -> dict[str, Any]:
        nonlocal n
        n += 1
        r = await client.post(
            "/api/webchat/messages",
            json={"session_token": token, "text": text, "client_message_id": f"m{n}"},
        )
        assert r.status_code == 200, r.text
        return dict(r.json())

    return token, say


# A pickup checkout up to its summary, then a person asked for.
TO_A_PERSON_AT_THE_SUMMARY = (
    "poproszę dużą pepperoni", "zamawiam", "odbiór osobisty", "Ewa, 600 222 333",
    "chcę rozmawiać z człowiekiem",
)  # fmt: skip


async def taken_by(
    client: httpx.AsyncClient, agent: dict[str, str], say: Any, *texts: str
) -> dict[str, Any]:
    """The customer says `texts` (the last asks for a person); the agent takes it."""
    for text in texts:
        await say(text)
    waiting = await client.get("/api/agent/conversations?status=waiting_agent", headers=agent)
    conv: dict[str, Any] = waiting.json()["conversations"][0]
    await client.post(f"/api/agent/conversations/{conv['id']}/assign", headers=agent)
    return conv


async def test_the_whole_handoff_round_trip(env: Any) -> None:
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    token, say = await webchat(client)
    await say("poproszę dużą pepperoni")
    asked = await say("chcę porozmawiać z człowiekiem")
    assert "zespołu" in asked["replies"][0]["text"]

    queue = (await client.get("/api/agent/conversations?status=waiting_agent", headers=ala)).json()
    conv = queue["conversations"][0]
    assert conv["channel"] == "webchat" and conv["waiting_seconds"] is not None
    detail = (await client.get(f"/api/agent/conversations/{conv['id']}", headers=ala)).json()
    assert "Pepperoni" in detail["customer"]["summary"]
    assert "customer request" in detail["customer"]["summary"]

    r = await client.post(
        f"/api/agent/conversations/{conv['id']}/messages",
        headers=ala,
        json={"text": "Dzień dobry, tu Ala"},
    )
    assert r.status_code == 409  # not assigned yet
    assert (
        await client.post(f"/api/agent/conversations/{conv['id']}/assign", headers=ala)
    ).status_code == 200
    r = await client.post(
        f"/api/agent/conversations/{conv['id']}/messages",
        headers=ala,
        json={"text": "Dzień dobry, tu Ala"},
    )
    assert r.status_code == 200
    await client.post(
        f"/api/agent/conversations/{conv['id']}/notes", headers=ala, json={"text": "VIP, be nice"}
    )

    quiet = await say("czy mogę zapłacić kartą?")
    assert quiet["replies"] == []  # the bot stays silent while a human has it
    history = (await client.get("/api/webchat/history", params={"token": token})).json()
    texts = [(m["author"], m["text"]) for m in history["messages"]]
    assert ("agent", "Dzień dobry, tu Ala") in texts
    assert all("VIP" not in t for _, t in texts)  # private notes stay private
    profile = (await client.get(f"/api/customers/{conv['customer_id']}", headers=ala)).json()
    assert any(m.get("private") for m in profile["timeline"])

    assert (
        await client.post(f"/api/agent/conversations/{conv['id']}/resolve", headers=ala)
    ).status_code == 200
    back = await say("koszyk")
    assert "Pepperoni" in back["replies"][0]["text"]  # the bot carries on, cart intact


async def test_a_long_timeline_comes_newest_page_first_and_pages_back(env: Any) -> None:
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    _token, say = await webchat(client)
    first = await say("cześć")
    await say("menu")
    last = await say("koszyk")
    listed = (await client.get("/api/agent/conversations", headers=ala)).json()
    customer_id = listed["conversations"][0]["customer_id"]
    whole = [first["message"]["id"], *[r["id"] for r in first["replies"]]]
    page = await client.get(
        f"/api/customers/{customer_id}/timeline", params={"limit": 2}, headers=ala
    )
    assert page.status_code == 200
    newest = page.json()
    # The newest two messages, oldest first, and older ones remain.
    assert [m["id"] for m in newest["messages"]] == sorted(m["id"] for m in newest["messages"])
    assert newest["messages"][-1]["id"] == last["replies"][-1]["id"]
    assert newest["older"] is True
    seen = [m["id"] for m in newest["messages"]]
    before = seen[0]
    while True:  # bounded: every page moves strictly back
        older = (
            await client.get(
                f"/api/customers/{customer_id}/timeline",
                params={"limit": 2, "before": before},
                headers=ala,
            )
        ).json()
        assert older["messages"] and older["messages"][-1]["id"] < before
        seen = [m["id"] for m in older["messages"]] + seen
        before = seen[0]
        if not older["older"]:
            break
    assert seen[: len(whole)] == whole and seen == sorted(set(seen))
    profile = (await client.get(f"/api/customers/{customer_id}", headers=ala)).json()
    assert [m["id"] for m in profile["timeline"]] == seen and profile["timeline_older"] is False
    missing = await client.get("/api/customers/999999/timeline", headers=ala)
    assert missing.status_code == 404


async def test_two_agents_assigning_at_once_get_one_owner(env: Any) -> None:
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    bob = await login(client, "bob@shop.pl", "correct horse")
    _, say = await webchat(client)
    await say("konsultant")
    conv = (await client.get("/api/agent/conversations?status=waiting_agent", headers=ala)).json()[
        "conversations"
    ][0]
    results = await asyncio.gather(
        client.post(f"/api/agent/conversations/{conv['id']}/assign", headers=ala),
        client.post(f"/api/agent/conversations/{conv['id']}/assign", headers=bob),
    )
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert "assigned to" in loser.json()["detail"]


async def test_nothing_is_reachable_without_a_staff_token(env: Any) -> None:
    app, client = env
    web_token, say = await webchat(client)
    await say("cześć")
    core = app.state.core
    expired = issue_token(
        type("U", (), {"id": 1, "role": "admin", "password_hash": "h"})(),  # type: ignore[arg-type]
        core.settings.resolved_secret_key(),
        timedelta(seconds=-5),
    )
    for headers in [
        {},
        {"Authorization": f"Bearer {web_token}"},
        {"Authorization": f"Bearer {expired}"},
        {"Authorization": "Bearer x.y.z"},
    ]:
        for method, path in PROTECTED:
            r = await client.request(method, path, headers=headers, json={"text": "x"})
            assert r.status_code == 401, (method, path, headers, r.status_code)
    r = await client.post("/api/auth/token", data={"username": "ala@shop.pl", "password": "nope"})
    assert r.status_code == 401
    r = await client.post("/api/auth/token", data={"username": "who@shop.pl", "password": "x"})
    assert r.status_code == 401


async def test_bad_input_to_the_agent_api(env: Any) -> None:
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    assert (
        await client.get("/api/agent/conversations?status=nonsense", headers=ala)
    ).status_code == 422
    assert (
        await client.post("/api/agent/conversations/99999/assign", headers=ala)
    ).status_code == 404
    assert (await client.get("/api/customers/99999", headers=ala)).status_code == 404
    r = await client.post("/api/agent/conversations/1/messages", headers=ala, json={"text": ""})
    assert r.status_code == 422


async def test_outside_support_hours_the_customer_is_told_what_to_expect(tmp_path: Path) -> None:
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Europe/Warsaw"))
    # A one-minute window an hour away: the team is surely not working right now.
    start = (now + timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=1, minutes=1)).strftime("%H:%M")
    settings = make_settings(tmp_path, support_hours=f"{start}-{end}")
    async with running_app(settings) as (_, client):
        _, say = await webchat(client)
        reply = await say("chcę rozmawiać z człowiekiem")
        text = " ".join(r["text"] for r in reply["replies"])
        assert f"{start}–{end}" in text  # the hours, and a message may be left meanwhile
        assert "/leave_message" in {b["payload"] for b in reply["replies"][-1]["buttons"]}


@pytest.mark.parametrize(
    ("complaint", "recorded", "promise"),
    [
        ("pizza przyszła zimna, to skandal", "Zapisałem Twoje zgłoszenie", "Przekaż"),
        ("my pizza arrived cold, this is outrageous", "I've recorded your complaint", "pass"),
    ],
)
async def test_a_complaint_outside_support_hours_is_recorded_for_when_support_opens(
    tmp_path: Path, complaint: str, recorded: str, promise: str
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Europe/Warsaw"))
    start = (now + timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=1, minutes=1)).strftime("%H:%M")
    settings = make_settings(tmp_path, support_hours=f"{start}-{end}")
    async with running_app(settings) as (app, client):
        _, say = await webchat(client)
        replies = (await say(complaint))["replies"]
        text = " ".join(r["text"] for r in replies)
        # One story: recorded, and answered when support opens (with the hours) — no promise
        # of passing it on now, no other message asked for.
        assert recorded in text and f"{start}–{end}" in text, text
        assert promise not in text, text
        assert "/leave_message" not in {b["payload"] for r in replies for b in r["buttons"]}
        async with app.state.core.sessions() as s:  # type: ignore[attr-defined]
            conversation = (await s.scalars(select(Conversation))).one()
        assert (conversation.status, conversation.handoff_reason) == ("waiting_agent", "complaint")


async def test_an_agents_buttons_are_what_the_customers_number_picks(env: Any) -> None:
    app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    _, say = await webchat(client)
    conv = await taken_by(client, ala, say, "poproszę dużą pepperoni", "konsultant")
    bad = await client.post(
        f"/api/agent/conversations/{conv['id']}/messages",
        headers=ala,
        json={"text": "Kliknij", "buttons": [{"title": "X", "payload": "<script>"}]},
    )
    assert bad.status_code == 422
    r = await client.post(
        f"/api/agent/conversations/{conv['id']}/messages",
        headers=ala,
        json={
            "text": "Dopisałam rabat. Zamawiamy?",
            "buttons": [
                {"title": "Zamawiam", "payload": "/checkout"},
                {"title": "Menu", "payload": "/browse_menu"},
            ],
        },
    )
    assert r.status_code == 200 and r.json()["message"]["buttons"][0]["payload"] == "/checkout"
    await client.post(f"/api/agent/conversations/{conv['id']}/resolve", headers=ala)

    await say("1")  # the agent's first button, typed
    async with app.state.core.sessions() as s:
        state = await s.get(DialogueState, conv["customer_id"])
        assert state is not None and state.flow == "checkout"


@pytest.mark.parametrize(
    ("first", "handoff", "while_agent", "cart"),
    [
        ("poproszę dużą pepperoni", "konsultant", "i jeszcze cola", ["cola", "pepperoni"]),
        ("a large pepperoni please", "talk to a human", "and a cola please", ["cola", "pepperoni"]),
    ],
)
async def test_a_message_left_unanswered_by_the_agent_is_answered_when_handed_back(
    env: Any, first: str, handoff: str, while_agent: str, cart: list[str]
) -> None:
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    token, say = await webchat(client)
    conv = await taken_by(client, ala, say, first, handoff)
    base = f"/api/agent/conversations/{conv['id']}"
    await client.post(f"{base}/messages", headers=ala, json={"text": "Hello, Ala here"})
    assert (await say(while_agent))["replies"] == []  # silent while a person has it
    assert (await client.post(f"{base}/resolve", headers=ala)).status_code == 200
    # Handed back without an answer: the bot acts on it (the cola is in the cart) and says so.
    profile = (await client.get(f"/api/customers/{conv['customer_id']}", headers=ala)).json()
    assert sorted(i["product_id"] for i in profile["cart"]["items"]) == cart
    history = (await client.get("/api/webchat/history", params={"token": token})).json()
    authors = [m["author"] for m in history["messages"]]
    assert authors[-1] == "bot" and authors[-3:-1] == ["customer", "bot"]


async def test_a_message_the_agent_answered_is_not_answered_again_when_handed_back(
    env: Any,
) -> None:
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    _, say = await webchat(client)
    conv = await taken_by(client, ala, say, "poproszę dużą pepperoni", "konsultant")
    base = f"/api/agent/conversations/{conv['id']}"
    await say("i jeszcze cola")
    await client.post(f"{base}/messages", headers=ala, json={"text": "Colę doda bot, chwila"})
    assert (await client.post(f"{base}/resolve", headers=ala)).status_code == 200
    profile = (await client.get(f"/api/customers/{conv['customer_id']}", headers=ala)).json()
    assert [i["product_id"] for i in profile["cart"]["items"]] == ["pepperoni"]


async def test_recent_topics_name_what_an_answer_to_the_bots_question_answered(env: Any) -> None:
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    _, say = await webchat(client)
    # The name and phone answer checkout's question: they are about the order, whatever
    # their words alone resemble (contact details); each topic once, the newest first.
    conv = await taken_by(client, ala, say, *TO_A_PERSON_AT_THE_SUMMARY)
    detail = (await client.get(f"/api/agent/conversations/{conv['id']}", headers=ala)).json()
    assert detail["customer"]["last_intents"] == ["human_handoff", "checkout", "add_to_cart"]


async def test_handed_back_mid_checkout_the_bot_offers_to_finish_the_order(env: Any) -> None:
    """Not "anything else?" while the order the customer was placing is not placed yet: the
    bot says so, and its button goes on from where the checkout stopped."""
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    token, say = await webchat(client)
    conv = await taken_by(client, ala, say, *TO_A_PERSON_AT_THE_SUMMARY)
    await client.post(f"/api/agent/conversations/{conv['id']}/resolve", headers=ala)
    history = (await client.get("/api/webchat/history", params={"token": token})).json()
    back = history["messages"][-1]
    assert back["text"] == (
        "Dziękujemy! Wracam ja, bot 🤖 Twoje zamówienie nie jest jeszcze złożone — dokończymy je?"
    )
    assert back["buttons"] == [{"title": "Dokończ zamówienie", "payload": "/checkout"}]
    asked = await say("1")  # the button, typed
    assert "Jak płacisz?" in asked["replies"][0]["text"]
    placed = await say("gotówka")
    assert "złożone" in placed["replies"][0]["text"]

    # Handed back with no order under way: the usual words, no button.
    conv = await taken_by(client, ala, say, "chcę rozmawiać z człowiekiem")
    await client.post(f"/api/agent/conversations/{conv['id']}/resolve", headers=ala)
    history = (await client.get("/api/webchat/history", params={"token": token})).json()
    back = history["messages"][-1]
    assert back["text"] == "Dziękujemy! Wracam ja, bot 🤖 W czym jeszcze mogę pomóc?"
    assert back["buttons"] == []


@pytest.mark.parametrize("asked_for_a_person", [True, False])
async def test_options_the_bot_offered_before_a_person_took_over_are_not_picked_after(
    env: Any, asked_for_a_person: bool
) -> None:
    """Handed back outside a checkout, a bare "2" is no pick of the bot's options from before
    the person took over (the handoff reply's, or the menu's when an agent took the
    conversation from the bot's queue): nobody shows them any more."""
    _app, client = env
    ala = await login(client, "ala@shop.pl", "correct horse")
    _, say = await webchat(client)
    menu = await say("pokaż menu")
    assert [b["title"] for b in menu["replies"][-1]["buttons"]] == ["Pizze", "Napoje", "Sosy"]
    if asked_for_a_person:
        asked = await say("konsultant")
        assert [b["title"] for b in asked["replies"][-1]["buttons"]][1:] == ["Menu", "Koszyk"]
    status = "waiting_agent" if asked_for_a_person else "bot"
    listed = await client.get(f"/api/agent/conversations?status={status}", headers=ala)
    base = f"/api/agent/conversations/{listed.json()['conversations'][0]['id']}"
    assert (await client.post(f"{base}/assign", headers=ala)).status_code == 200
    await client.post(f"{base}/messages", headers=ala, json={"text": "Dzień dobry, tu Ala"})
    assert (await client.post(f"{base}/resolve", headers=ala)).status_code == 200

    answer = (await say("2"))["replies"][-1]["text"]
    assert answer.startswith("Przepraszam, nie zrozumiałem")  # not the menu, not the drinks

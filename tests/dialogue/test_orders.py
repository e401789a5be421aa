"""The order lifecycle: transitions, one notification per change, the operator API, the CLI."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.api import orders as orders_api
from bot.auth import create_user
from bot.core import Core
from bot.domain.order_status import InvalidTransition, UnknownOrder, UnknownStatus
from bot.order_board import advance_order
from tests.bot.channel import CollectingChannel
from tests.conftest import make_settings, running_app
from tests.dialogue.chat import Chat


async def place_order(core: Core, english: bool = False, pickup: bool = True) -> tuple[Chat, str]:
    chat = Chat(core)
    if english:
        await chat.say("English please")
    await chat.say("poproszę dużą margheritę" if not english else "a large margherita please")
    await chat.payload("/checkout")
    await chat.payload('/inform{"fulfilment": "%s"}' % ("pickup" if pickup else "delivery"))
    if not pickup:
        await chat.say("ul. Długa 5, Kraków")
    await chat.say("Jan, 600 111 222")
    placed = await chat.payload('/inform{"confirm": "yes", "payment_method": "cash"}')
    orders = await chat.orders()
    assert orders, placed.text
    return chat, orders[-1].number


@pytest.fixture
async def app_env(tmp_path: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient, Any]]:
    settings = make_settings(tmp_path)
    async with running_app(settings) as (started, client):
        app: Any = started
        if not any(getattr(r, "path", "") == "/api/orders/{number}/status" for r in app.routes):
            app.include_router(orders_api.router)  # until the composition root mounts it
        channel = CollectingChannel("test")
        app.state.core.register_channel(channel)
        async with app.state.core.sessions() as s:
            await create_user(s, "ola@shop.pl", "correct horse", "operator")
            await create_user(s, "ala@shop.pl", "correct horse", "agent")
            await create_user(s, "kuchnia@shop.pl", "correct horse", "kitchen")
        yield app, client, channel


async def token(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    form = {"username": email, "password": "correct horse"}
    r = await client.post("/api/auth/token", data=form)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def test_each_change_notifies_the_customer_once_in_their_language(app_env: Any) -> None:
    app, _, channel = app_env
    core: Core = app.state.core
    chat, number = await place_order(core, english=True, pickup=False)
    before = len(channel.sent)
    for expected in ("confirmed", "preparing", "out_for_delivery", "completed"):
        order = await advance_order(core, number)
        assert order["status"] == expected
    sent = channel.sent[before:]
    texts = [m.text for m in sent]
    assert len(texts) == 4, texts
    assert "has confirmed your order" in texts[0] and "on its way" in texts[2]
    assert "How would you rate it?" in texts[3]
    stars = sent[3].buttons
    assert [b.title for b in stars][-1] == "★★★★★"
    # The customer answers the rating in the chat: a button, or the option's number.
    rated = await chat.say("4")
    assert "4/5" in rated.text
    with pytest.raises(InvalidTransition):
        await advance_order(core, number)  # completed is final
    assert len(channel.sent) == before + 4 + 1  # the rating reply; refusals notify nobody


async def test_two_staff_moving_the_same_order_at_once_notify_once(app_env: Any) -> None:
    app, _, channel = app_env
    core: Core = app.state.core
    _, number = await place_order(core)
    before = len(channel.sent)
    results = await asyncio.gather(
        *(advance_order(core, number, "confirmed") for _ in range(3)), return_exceptions=True
    )
    assert sum(1 for r in results if isinstance(r, dict)) == 1
    assert all(isinstance(r, (dict, InvalidTransition)) for r in results), results
    assert len(channel.sent) == before + 1


async def test_a_crash_right_after_the_change_still_notifies(
    app_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status and its notification commit together; the outbox sends it later."""
    app, _, channel = app_env
    core: Core = app.state.core
    _, number = await place_order(core)
    before = len(channel.sent)

    async def crash(message_ids: list[int]) -> None:
        raise SystemExit("the process died after the commit")

    monkeypatch.setattr(core, "deliver", crash)
    with pytest.raises(SystemExit):
        await advance_order(core, number, "confirmed")
    monkeypatch.undo()
    assert len(channel.sent) == before
    core.outbox.kick()  # as the outbox of the restarted process would
    for _ in range(100):
        if len(channel.sent) > before:
            break
        await asyncio.sleep(0.05)
    assert [m.text for m in channel.sent[before:]] == [
        core.dialogue.responses.render("notify_confirmed", "pl", number=number, name=" Jan")
    ]


async def test_invalid_transitions_are_refused(app_env: Any) -> None:
    app, _, _ = app_env
    core: Core = app.state.core
    _, number = await place_order(core, pickup=True)
    with pytest.raises(UnknownOrder):
        await advance_order(core, "PZ-00000")
    with pytest.raises(UnknownStatus):
        await advance_order(core, number, "eaten")
    with pytest.raises(InvalidTransition, match="does not apply to a pickup order"):
        await advance_order(core, number, "out_for_delivery")
    await advance_order(core, number, "preparing")  # skipping ahead is fine
    with pytest.raises(InvalidTransition, match="cannot go back"):
        await advance_order(core, number, "confirmed")
    assert (await advance_order(core, number, "cancelled"))["status"] == "cancelled"
    with pytest.raises(InvalidTransition, match="already cancelled"):
        await advance_order(core, number, "completed")


async def test_the_status_api_needs_a_staff_login(app_env: Any) -> None:
    app, client, channel = app_env
    _, number = await place_order(app.state.core)
    url = f"/api/orders/{number}/status"
    assert (await client.post(url, json={})).status_code == 401
    # The kitchen moves orders (agents, operators and admins may too).
    operator = await token(client, "kuchnia@shop.pl")
    before = len(channel.sent)
    r = await client.post(url, json={}, headers=operator)
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert r.json()["number"] == number and r.json()["total"] == 3990
    r = await client.post(url, headers=operator)  # no body: the next status
    assert r.status_code == 200 and r.json()["status"] == "preparing"
    assert len(channel.sent) == before + 2
    r = await client.post(url, json={"status": "out_for_delivery"}, headers=operator)
    assert r.status_code == 409 and "pickup" in r.json()["detail"]
    r = await client.post(url, json={"status": "eaten"}, headers=operator)
    assert r.status_code == 422 and "unknown status" in r.json()["detail"]
    r = await client.post("/api/orders/PZ-00000/status", json={}, headers=operator)
    assert r.status_code == 404
    assert len(channel.sent) == before + 2

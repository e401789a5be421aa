"""Checkout keeps the shop's promises: the delivery area, opening hours and the payment
methods offered — in Polish and in English, through the web chat."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import func, select

from bot.auth import create_user
from bot.store.models import CartItem, Order
from knowledge.catalog import DEFAULT_CATALOG
from tests.conftest import NLU_CACHE, make_settings, running_app

_ids = itertools.count(1)
Say = Callable[..., Awaitable[list[dict[str, Any]]]]


def catalog_file(tmp_path: Path, **shop: Any) -> Path:
    raw = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    raw["shop"].update(shop)
    path = tmp_path / "catalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def zone_where_it_is(hour: int) -> str:
    """A fixed-offset time zone in which it is `hour` o'clock now."""
    offset = (hour - datetime.now(UTC).hour) % 24
    if offset > 14:
        offset -= 24
    return "Etc/GMT" + (f"{-offset:+d}" if offset else "")  # POSIX signs: GMT-3 is UTC+3


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    async with running_app(make_settings(tmp_path)) as (app, http):
        core: Any = app.state.core  # type: ignore[attr-defined]
        async with core.sessions() as s:
            await create_user(s, "kuchnia@shop.pl", "correct horse", "kitchen")
        yield core, http


async def chat(http: httpx.AsyncClient) -> Say:
    token = (await http.post("/api/webchat/sessions")).json()["session_token"]

    async def say(text: str = "", payload: str | None = None) -> list[dict[str, Any]]:
        body = {"session_token": token, "client_message_id": f"c{next(_ids)}"}
        body.update({"payload": payload} if payload else {"text": text})
        r = await http.post("/api/webchat/messages", json=body)
        assert r.status_code == 200, r.text
        replies: list[dict[str, Any]] = r.json()["replies"]
        return replies

    return say


def text_of(replies: list[dict[str, Any]]) -> str:
    return "\n".join(r["text"] for r in replies)


def payloads(replies: list[dict[str, Any]]) -> list[str]:
    return [b["payload"] for r in replies for b in r["buttons"]]


async def order(http: httpx.AsyncClient, number: str) -> dict[str, Any]:
    r = await http.post(
        "/api/auth/token", data={"username": "kuchnia@shop.pl", "password": "correct horse"}
    )
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    found = (await http.get(f"/api/orders/{number}", headers=headers)).json()
    assert isinstance(found, dict)
    return found


def number_in(replies: list[dict[str, Any]]) -> str:
    words = text_of(replies).split()
    found = next((w.strip(".,!") for w in words if w.startswith("PZ-")), None)
    assert found, text_of(replies)
    return found


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("pl", ["poproszę dużą margheritę", "zamawiam", "dostawa", "nie dowozimy"]),
        ("en", ["a large margherita please", "checkout", "delivery", "don't deliver"]),
    ],
)
async def test_an_address_outside_the_area_is_refused_with_the_pickup_offer(
    shop: Any, lang: str, words: list[str]
) -> None:
    _, http = shop
    say = await chat(http)
    if lang == "en":
        await say("English please")
    for text in words[:3]:
        await say(text)
    refused = await say("ul. Rynek 5, Wieliczka")
    assert words[3] in text_of(refused)
    assert '/inform{"fulfilment": "pickup"}' in payloads(refused)
    # Pickup instead: the order goes through as a pickup, with no address.
    await say(payload='/inform{"fulfilment": "pickup"}')
    await say("Jan, 600 111 222")
    placed = await say(payload='/inform{"confirm": "yes", "payment_method": "cash"}')
    found = await order(http, number_in(placed))
    assert found["fulfilment"] == "pickup" and found["address"] is None


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("pl", ["poproszę dużą margheritę", "zamawiam", "dziś o 11:00"]),
        ("en", ["a large margherita please", "checkout", "today at 11:00"]),
    ],
)
async def test_at_three_in_the_night_the_bot_says_when_the_shop_opens(
    tmp_path: Path, lang: str, words: list[str]
) -> None:
    hours = dict.fromkeys(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "11:00-22:00")
    path = catalog_file(tmp_path, timezone=zone_where_it_is(3), hours=hours)
    async with running_app(make_settings(tmp_path, catalog_path=path)) as (app, http):
        core: Any = app.state.core  # type: ignore[attr-defined]
        say = await chat(http)
        if lang == "en":
            await say("English please")
        await say(words[0])
        closed = await say(words[1])
        assert words[2] in text_of(closed), text_of(closed)
        # Not taken as if open: no checkout question, and confirming places nothing.
        await say(payload='/inform{"fulfilment": "pickup"}')
        await say(payload='/inform{"confirm": "yes"}')
        async with core.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(Order)) == 0


async def test_the_payment_method_is_one_the_shop_offers_typed_or_pressed(shop: Any) -> None:
    _, http = shop
    say = await chat(http)
    for text in ("poproszę dużą pepperoni", "zamawiam", "dostawa", "ul. Długa 5, Kraków"):
        await say(text)
    summary = await say("Ewa, 600 333 444")
    assert "gotówka lub karta" in text_of(summary)
    assert payloads(summary)[:2] == [
        '/inform{"confirm": "yes", "payment_method": "cash"}',
        '/inform{"confirm": "yes", "payment_method": "card"}',
    ]
    refused = await say("BLIK")  # offered at pickup only
    assert "tylko: gotówka lub karta" in text_of(refused)
    asked = await say("potwierdzam")  # confirmed, but how do they pay?
    assert "Jak płacisz?" in text_of(asked) and "PZ-" not in text_of(asked)
    found = await order(http, number_in(await say("zapłacę kartą")))
    assert found["payment_method"] == "card"

    say = await chat(http)
    await say("English please")
    for text in ("a large pepperoni please", "checkout", "pickup"):
        await say(text)
    summary = await say("Tom, 600 444 555")
    assert '/inform{"confirm": "yes", "payment_method": "blik"}' in payloads(summary)
    placed = await say(payload='/inform{"confirm": "yes", "payment_method": "blik"}')
    assert (await order(http, number_in(placed)))["payment_method"] == "blik"


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("pl", ["duza margherita", "zamawiam", "dowoz", "Krakowska 12/3, Krakow", "zamawiam"]),
        ("pl", ["duża margherita", "zamawiam", "dowóz", "ul. Długa 5, Kraków", "zamawiam"]),
        ("en", ["large margherita", "checkout", "delivery", "12 Baker Street, Krakow", "checkout"]),
    ],
)
async def test_an_address_typed_while_closed_is_kept_for_when_the_shop_opens(
    tmp_path: Path, lang: str, words: list[str]
) -> None:
    hours = dict.fromkeys(["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "11:00-22:00")
    path = catalog_file(tmp_path, timezone=zone_where_it_is(3), hours=hours)
    settings = make_settings(tmp_path, catalog_path=path, nlu_backend="auto", cache_dir=NLU_CACHE)
    async with running_app(settings) as (app, http):
        core: Any = app.state.core  # type: ignore[attr-defined]
        async with core.sessions() as s:
            await create_user(s, "ola@shop.pl", "correct horse", "operator")
            await create_user(s, "kuchnia@shop.pl", "correct horse", "kitchen")
        say = await chat(http)
        if lang == "en":
            await say("English please")
        for text in words[:3]:
            await say(text)
        kept = await say(words[3])
        # The address, not a rating or a quantity: the cart is as it was, no order yet.
        assert words[3] in text_of(kept) and "11:00" in text_of(kept), text_of(kept)
        async with core.sessions() as s:  # the only customer of this app
            items = (await s.execute(select(CartItem.product_id, CartItem.quantity))).all()
            assert [tuple(i) for i in items] == [("margherita", 1)]
            assert await s.scalar(select(func.count()).select_from(Order)) == 0
        # The shop opens: checking out asks who the order is for, not the way or the address.
        await open_all_day(app, http)
        asked = await say(words[4])
        assert not [p for p in payloads(asked) if "fulfilment" in p], text_of(asked)
        await say("Anna, 601 234 567")
        placed = await say(payload='/inform{"confirm": "yes", "payment_method": "cash"}')
        found = await order(http, number_in(placed))
        assert found["fulfilment"] == "delivery" and found["address"] == words[3]


async def open_all_day(app: Any, http: httpx.AsyncClient) -> None:
    """The operator opens the shop around the clock (live, no restart)."""
    r = await http.post(
        "/api/auth/token", data={"username": "ola@shop.pl", "password": "correct horse"}
    )
    op = {"Authorization": f"Bearer {r.json()['access_token']}"}
    shop: dict[str, Any] = (await http.get("/api/admin/shop", headers=op)).json()
    body = {k: shop[k] for k in ("shop", "sizes", "categories")}
    body["shop"]["hours"] = dict.fromkeys(body["shop"]["hours"], "00:00-24:00")
    r = await http.put("/api/admin/shop", json=body, headers=op)
    assert r.status_code == 200, r.text
    assert await app.state.content.settled(30)

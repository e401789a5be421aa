"""What round 11's held-out journeys taught, said in other words than theirs: done ordering and
the way in one message, a contact typed once nothing else is missing, a payment method said
before the checkout or beside the order, a kind of product declined (also where the name is
asked), whether an order can be fetched yet, someone else's order handed over, being told in
another channel, one product said to be another, the last order again in another size, an item
added at the summary.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the state it leaves.
"""

from __future__ import annotations

import re

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of
from tests.dialogue.test_understanding import end_state, talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    "texts",
    [
        ["duza capricciosa", "dobra, to tyle, wezme na wynos", "Ola 600 111 401", "karta"],
        ["a small hawaiian", "that's everything - i'll collect it myself", "Ola 600 111 402",
         "cash"],
    ],
)  # fmt: skip
async def test_done_and_the_way_in_one_message_check_out_that_way(
    dialogue_core: Core, texts: list[str]
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].fulfilment == "pickup"


@pytest.mark.parametrize(
    ("texts", "way"),
    [
        (["a large margherita for collection", "Ola 600 111 403", "card"], "pickup"),
        (["dwie male diavole z dostawa na Dietla 12/4, Krakow", "Ola 600 111 404", "karta"],
         "delivery"),
    ],
)  # fmt: skip
async def test_a_contact_typed_when_nothing_else_is_missing_brings_the_summary(
    dialogue_core: Core, texts: list[str], way: str
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].fulfilment == way and orders[0].payment_method == "card"


async def test_a_contact_typed_with_the_address_still_missing_is_only_kept(
    dialogue_core: Core,
) -> None:
    chat = await chat_saying(dialogue_core, "mala diavola z dowozem", "Ola 600 111 405")
    assert chat.last is not None and "Do zapłaty" not in chat.last.text
    assert not await orders_of(chat)


@pytest.mark.parametrize(
    ("texts", "method"),
    [
        # Alone, with items in the cart: the checkout starts, paid so once confirmed.
        (["srednia pepperoni", "zaplace gotowka", "odbior", "Ola 600 111 406", "potwierdzam"],
         "cash"),
        # A part of its own beside the order.
        (["3 male margherity, na wynos, place blikiem", "to tyle", "Ola 600 111 407",
          "potwierdzam"], "blik"),
        (["two medium pepperonis for pickup, paying by card", "that's all", "Ola 600 111 408",
          "confirm"], "card"),
    ],
)  # fmt: skip
async def test_a_payment_method_said_before_the_summary_pays_the_order(
    dialogue_core: Core, texts: list[str], method: str
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].payment_method == method


@pytest.mark.parametrize(
    "order", ["mala wege i woda, odbior osobisty", "3 male margherity, na wynos, place blikiem"]
)
async def test_the_way_and_payment_beside_an_order_are_not_missing_from_the_menu(
    dialogue_core: Core, order: str
) -> None:
    reply = await (await chat_saying(dialogue_core, "hej")).say(order)
    assert "Nie mamy" not in reply.text


@pytest.mark.parametrize(
    "texts",
    [
        ["duza hawajska i lemoniada", "napoju jednak nie biore"],
        ["a large hawaiian and a lemonade", "don't need the drink after all"],
    ],
)
async def test_a_kind_declined_takes_its_line_out(dialogue_core: Core, texts: list[str]) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == ["1 hawaii large"]


async def test_a_product_declined_where_the_name_is_asked_is_no_name(dialogue_core: Core) -> None:
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "mala capricciosa i sok na wynos", "to wszystko",
            "soku jednak nie wezme", "Ola 600 111 409", "gotowka",
        )
    )  # fmt: skip
    assert orders and orders[0].total == 2890  # the small capricciosa alone
    assert orders[0].contact_name == "Ola"


@pytest.mark.parametrize(
    ("texts", "asked"),
    [
        (["mala margherita na wynos", "to wszystko", "Ola 600 111 410", "karta"],
         "a mozna juz po nia wpasc?"),
        (["a small margherita for pickup", "that's all", "Ola 600 111 411", "card"],
         "can we come and get it now?"),
    ],
)  # fmt: skip
async def test_whether_the_order_can_be_fetched_yet_tells_the_order(
    dialogue_core: Core, texts: list[str], asked: str
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    orders = await orders_of(chat)
    assert orders[0].number in (await chat.say(asked)).text


@pytest.mark.parametrize(
    "told", ["kurier dal nam cudze zamowienie", "you delivered somebody else's pizzas to us"]
)
async def test_someone_elses_order_handed_over_is_a_complaint(
    dialogue_core: Core, told: str
) -> None:
    state = await talk(dialogue_core, told)
    assert state["conversation"] == "waiting_agent" and state["reasons"] == ["complaint"]


@pytest.mark.parametrize(
    "texts",
    [
        ["mala margherita na wynos", "to wszystko", "Ola 600 111 412", "karta",
         "informujcie mnie smsem o zamowieniu"],
        ["a small margherita", "let me know on telegram when it's ready"],
    ],
)  # fmt: skip
async def test_being_told_in_another_channel_shows_the_code(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    assert chat.last is not None and re.search(r"\b\d{6}\b", chat.last.text)


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["2 cole i mala pepperoni", "a nie, te cole to mialy byc wody"],
         ["1 pepperoni small", "2 water"]),
        (["2 cokes and a small pepperoni", "the cokes were meant to be orange juices"],
         ["1 pepperoni small", "2 orange-juice"]),
    ],
)  # fmt: skip
async def test_one_product_said_to_be_another_is_swapped(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["mala hawajska na wynos", "to wszystko", "Ola 600 111 413", "gotowka",
          "to samo co ostatnio, tylko duza"], ["1 hawaii large"]),
        # Only what comes in that size takes it.
        (["srednia diavola i cola na wynos", "to wszystko", "Ola 600 111 414", "gotowka",
          "same again but large please"], ["1 cola", "1 diavola large"]),
    ],
)  # fmt: skip
async def test_the_last_order_again_in_another_size_is_a_new_order(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    state = await end_state(chat)
    assert state["cart"] == cart and state["conversation"] == "bot"  # no person for a change
    assert len(await orders_of(chat)) == 1


async def test_an_item_added_at_the_summary_is_in_the_order(dialogue_core: Core) -> None:
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "duza margherita z dostawa na Dietla 20/1, Krakow", "Ola 600 111 415",
            "a do tego jeszcze sos pomidorowy", "karta",
        )
    )  # fmt: skip
    assert orders and orders[0].total == 3990 + 300 + 990  # the sauce too, and the delivery

"""What round 12's held-out journeys taught, said in other words than theirs: the flat's number
typed after the street, the people an order is for, a size said of the pizzas before naming
them, the total so far, taking a placed order back, going on in another channel, a question
and then an order in one message, an order delivered somewhere read as no question about one.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the state it leaves.
"""

from __future__ import annotations

import re

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of
from tests.dialogue.test_understanding import talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "address"),
    [
        (["średnia diavola na dowóz", "to wszystko", "Kalwaryjska 9, Kraków",
          "ojej, jeszcze mieszkanie 3", "Ola 600 111 501", "gotówka"], "Kalwaryjska 9/3"),
        (["a large margherita delivered", "that's all", "Dietla 12, Krakow", "sorry, apt 5",
          "Ola 600 111 502", "card"], "Dietla 12/5"),
    ],
)  # fmt: skip
async def test_a_flat_typed_after_the_street_joins_the_address(
    dialogue_core: Core, texts: list[str], address: str
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and address in str(orders[0].address)
    assert orders[0].contact_name == "Ola"  # the flat was never the name


async def test_a_flat_typed_after_an_address_with_its_flat_stays_a_note(
    dialogue_core: Core,
) -> None:
    texts = ["a large margherita delivered", "that's all", "Dietla 12/4, Krakow",
             "oh, and flat 6", "Ola 600 111 509", "card"]  # fmt: skip
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].address == "Dietla 12/4, Krakow"
    assert "flat 6" in str(orders[0].note)


@pytest.mark.parametrize(
    ("text", "cart"),
    [
        ("dla trzech osób: 2 średnie pepperoni", ["2 pepperoni medium"]),
        ("pizza night for 6 people - 2 small hawaiians", ["2 hawaii small"]),
    ],
)
async def test_the_people_an_order_is_for_are_no_count_of_an_item(
    dialogue_core: Core, text: str, cart: list[str]
) -> None:
    assert (await talk(dialogue_core, text))["cart"] == cart


@pytest.mark.parametrize(
    ("text", "cart"),
    [
        ("poproszę 3 małe pizze: dwie margherity i jedną diavolę",
         ["1 diavola small", "2 margherita small"]),
        ("two medium pizzas, one capricciosa and one hawaiian",
         ["1 capricciosa medium", "1 hawaii medium"]),
    ],
)  # fmt: skip
async def test_a_size_said_of_the_pizzas_before_naming_them_is_each_ones(
    dialogue_core: Core, text: str, cart: list[str]
) -> None:
    assert (await talk(dialogue_core, text))["cart"] == cart


async def test_the_total_so_far_asked_shows_the_cart(dialogue_core: Core) -> None:
    chat = await chat_saying(dialogue_core, "duża hawajska", "a ile jak dotąd mam do zapłaty?")
    assert chat.last is not None and "44,90" in chat.last.text


@pytest.mark.parametrize(
    "taken_back",
    ["wycofujemy nasze zamówienie, przepraszam", "please drop my order, change of plans"],
)
async def test_an_order_taken_back_in_other_words_is_cancelled(
    dialogue_core: Core, taken_back: str
) -> None:
    texts = ["mała margherita na wynos", "to wszystko", "Ola 600 111 503", "karta", taken_back]
    chat = await chat_saying(dialogue_core, *texts, "tak")
    orders = await orders_of(chat)
    assert orders and orders[0].status == "cancelled"


async def test_writing_on_in_another_channel_shows_the_code(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core, "średnia diavola", "czy mogę dalej pisać na telegramie?"
    )
    assert chat.last is not None
    assert re.search(r"\b\d{6}\b", chat.last.text)


@pytest.mark.parametrize(
    ("text", "cart"),
    [
        ("czy dowozicie na Bronowice? to poproszę 2 małe margherity", ["2 margherita small"]),
        ("what time do you close? either way i'll take a large diavola", ["1 diavola large"]),
    ],
)
async def test_an_order_after_a_question_in_one_message_is_made(
    dialogue_core: Core, text: str, cart: list[str]
) -> None:
    assert (await talk(dialogue_core, text))["cart"] == cart


async def test_an_order_delivered_to_a_street_is_no_question_about_an_order(
    dialogue_core: Core,
) -> None:
    state = await talk(dialogue_core, "small hawaiian delivered to Lubicz 4/2, Krakow")
    assert state["cart"] == ["1 hawaii small"]


@pytest.mark.parametrize(
    "contact",
    ["Ola, 600 111 504, albo do męża 600 111 505 jakby co",
     "Ola 600 111 504 - or my sister's 600 111 505 if i don't pick up"],
)  # fmt: skip
async def test_a_second_number_offered_is_no_part_of_the_name(
    dialogue_core: Core, contact: str
) -> None:
    texts = ["średnia pepperoni", "to wszystko", "odbiór", contact, "gotówka"]
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].contact_name == "Ola"
    assert orders[0].contact_phone == "+48600111504"


@pytest.mark.parametrize(
    ("asked", "answer", "not_answer"),
    [
        ("a która z pizz jest ostra?", "Diavola", "Margherita"),
        ("which pizzas are meat free?", "Meat-free", "Pizzas:"),
    ],
)
async def test_which_products_have_a_tag_is_that_tags_answer(
    dialogue_core: Core, asked: str, answer: str, not_answer: str
) -> None:
    chat = await chat_saying(dialogue_core, asked)
    assert chat.last is not None and answer in chat.last.text
    assert not_answer not in chat.last.text

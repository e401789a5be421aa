"""Swapping a product for another without "instead", and an item not on the menu ordered
beside a known one: the real pipeline and NLU, judged by the cart and the reply."""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "cart", "said"),
    [
        (["2 pepperoni średnie i 1 sos czosnkowy", "nie chcę jednak pepperoni, daj hawajską"],
         ["1 garlic-sauce", "2 hawaii medium"], "Hawa"),
        (["2 pepperoni srednie i 1 sos czosnkowy", "nie chce jednak pepperoni, daj hawajskie"],
         ["1 garlic-sauce", "2 hawaii medium"], "Hawa"),
        (["a medium margherita and a large diavola pls",
          "actually no diavola, give me a capricciosa"],
         ["1 capricciosa large", "1 margherita medium"], "Capricciosa"),
        # The new product said with its own size keeps that size.
        (["a medium margherita and a large diavola pls",
          "actually no diavola, give me a small capricciosa"],
         ["1 capricciosa small", "1 margherita medium"], "Capricciosa"),
        # One of two swapped: the other stays.
        (["2 large margheritas", "swap one margherita for a small diavola"],
         ["1 diavola small", "1 margherita large"], "Diavola"),
        (["2 duże margherity", "zamień jedną margheritę na diavolę"],
         ["1 diavola large", "1 margherita large"], "Diavola"),
        (["3 średnie pepperoni", "zamiast 2 pepperoni daj 2 hawajskie"],
         ["1 pepperoni medium", "2 hawaii medium"], "Hawa"),
    ],
)  # fmt: skip
async def test_a_declined_product_is_swapped_for_the_one_asked(
    dialogue_core: Core, texts: list[str], cart: list[str], said: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        result = await chat.say(text)
    assert said in result.text, result.text
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    ("text", "cart", "said"),
    [
        ("poprosze duza margerite i pepsi", ["1 margherita large"], "Nie mamy „pepsi” w menu"),
        ("poproszę dużą margeritę i pepsi", ["1 margherita large"], "Nie mamy „pepsi” w menu"),
        ("mala capricciosa i sprite", ["1 capricciosa small"], "Nie mamy „sprite” w menu"),
        ("a small capricciosa and a sprite please", ["1 capricciosa small"],
         "“sprite” is not on our menu"),
    ],
)  # fmt: skip
async def test_an_item_not_on_the_menu_beside_a_known_one_is_told(
    dialogue_core: Core, text: str, cart: list[str], said: str
) -> None:
    chat = Chat(dialogue_core)
    result = await chat.say(text)
    assert said in result.text, result.text
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    ("text", "cart"),
    [
        ("poproszę dużą margheritę i sos czosnkowy na wynos",
         ["1 garlic-sauce", "1 margherita large"]),
        ("prosze 2 srednie pepperoni i cole", ["1 cola", "2 pepperoni medium"]),
        ("duża margherita i szybko proszę", ["1 margherita large"]),
        ("mala margherita i dodatkowy ser", ["1 margherita small"]),
        ("a large margherita and a coke please, thanks", ["1 cola", "1 margherita large"]),
        ("a large margherita and that's all", ["1 margherita large"]),
        # In English "a" is the article: the verb before it is no item.
        ("add a coke", ["1 cola"]),
        ("can you add a garlic sauce", ["1 garlic-sauce"]),
        ("I'd love a large margherita", ["1 margherita large"]),
        ("could you throw in a lemonade", ["1 lemonade"]),
        # Something unnamed asked for is no item missing from the menu.
        ("duża margherita i coś do picia", ["1 margherita large"]),
        ("chcę coś dobrego", []),
        # A greeting before the order is no item either.
        ("Dzień dobry, poproszę dużą margheritę i colę", ["1 cola", "1 margherita large"]),
        ("dzien dobry, poprosze duza margherite i cole", ["1 cola", "1 margherita large"]),
        ("Dobry wieczór, duża margherita", ["1 margherita large"]),
        ("Witajcie, mała diavola", ["1 diavola small"]),
        ("Good evening, a large margherita and a cola please",
         ["1 cola", "1 margherita large"]),
        ("Hello there, a large margherita", ["1 margherita large"]),
    ],
)  # fmt: skip
async def test_ordinary_words_beside_items_are_not_called_unknown(
    dialogue_core: Core, text: str, cart: list[str]
) -> None:
    chat = Chat(dialogue_core)
    result = await chat.say(text)
    assert "Nie mamy" not in result.text and "not on our menu" not in result.text, result.text
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "asked", "answer", "cart"),
    [
        (["2 cole i 1 sos czosnkowy", "nie chcę jednak coli, daj margheritę"], "Margherita",
         "dużą", ["1 garlic-sauce", "2 margherita large"]),
        (["a coke and a garlic sauce", "actually no coke, give me a diavola"], "Diavola",
         "small", ["1 diavola small", "1 garlic-sauce"]),
    ],
)  # fmt: skip
async def test_a_swap_for_a_product_without_that_size_asks_its_size(
    dialogue_core: Core, texts: list[str], asked: str, answer: str, cart: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        result = await chat.say(text)
    assert asked in result.text, result.text
    await chat.say(answer)
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "said"),
    [
        (["duża margherita", "do tego fanta"], "Nie mamy „fanta” w menu"),
        (["poproszę pepsi"], "Nie mamy „pepsi” w menu"),
        (["a large margherita", "can I get a sprite"], "“sprite” is not on our menu"),
    ],
)
async def test_an_item_not_on_the_menu_alone_is_told_by_its_name(
    dialogue_core: Core, texts: list[str], said: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        result = await chat.say(text)
    assert said in result.text, result.text
    assert "Nie znalazłem" not in result.text and "couldn't find" not in result.text

"""What a customer noticed walking through the web chat of the demo pizzeria: a pizza
declined while its size is asked, a size named in a price question, something to drink
asked for, a drink not on the menu, one of one item taken off, paying later, a street whose
name starts with a preposition.

The real pipeline and the real NLU (tests/dialogue/conftest.py); Polish and English, with and
without diacritics. Each case is a new customer, judged by the cart and the order it leaves
and whether it was offered a person.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.store import repo
from tests.dialogue.chat import Chat, TurnResult
from tests.dialogue.test_understanding import end_state

pytestmark = pytest.mark.asyncio(loop_scope="module")


def offers_a_person(result: TurnResult) -> bool:
    return any("human_handoff" in b["payload"] for b in result.buttons)


async def saying(core: Core, texts: list[str]) -> tuple[Chat, TurnResult]:
    """A new customer says `texts`; the chat and its last turn."""
    chat = Chat(core)
    for text in texts:
        result = await chat.say(text)
    return chat, result


async def flow_of(chat: Chat) -> str | None:
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        return (await repo.dialogue_state_of(s, chat.customer_id)).flow


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["2 cole", "diavola", "jednak bez diavoli"], ["2 cola"]),
        (["2 colę", "poproszę diavolę", "a jednak bez diavoli"], ["2 cola"]),
        (["dwie cole", "diavola", "nie, jednak nie chcę tej"], ["2 cola"]),
        (["dwie cole", "diavola", "nie, jednak nie chce tej"], ["2 cola"]),
        (["a coke", "a diavola", "actually no diavola"], ["1 cola"]),
        (["a coke", "a diavola", "no, I don't want that one"], ["1 cola"]),
        (["mała margherita", "diavola", "diavoli jednak nie trzeba"], ["1 margherita small"]),
        (["diavola", "jednak bez diavoli"], []),
    ],
)
async def test_a_pizza_declined_while_its_size_is_asked_is_left_out(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    chat, result = await saying(dialogue_core, texts)
    assert "Diavola" in result.text  # said which one is left out
    assert not offers_a_person(result), result.text
    assert await flow_of(chat) is None  # the size is no longer asked
    assert (await end_state(chat))["cart"] == cart


async def test_declining_one_of_two_pizzas_asks_the_size_of_the_other(
    dialogue_core: Core,
) -> None:
    chat, result = await saying(
        dialogue_core, ["a coke", "a diavola and a margherita", "no, I don't want that one"]
    )
    assert "Diavola" in result.text and "Margherita" in result.text
    assert await flow_of(chat) == "ask_size"
    await chat.say("large")
    assert (await end_state(chat))["cart"] == ["1 cola", "1 margherita large"]


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["ile kosztuje duża margherita?", "to poproszę ją"], ["1 margherita large"]),
        (["ile kosztuje duza margherita?", "wezme ja"], ["1 margherita large"]),
        (["how much is a large margherita?", "I'll take it"], ["1 margherita large"]),
        (["how much is a large margherita?", "ok, can I have that one"], ["1 margherita large"]),
        # A size said with the answer wins over the question's.
        (["how much is a large margherita?", "small please"], ["1 margherita small"]),
    ],
)
async def test_a_size_named_in_a_price_question_is_the_size_taken(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    chat, result = await saying(dialogue_core, texts)
    assert "menu" not in result.text.lower()  # nothing read as an item not on it
    assert await flow_of(chat) is None  # no size asked again
    assert (await end_state(chat))["cart"] == cart


DRINKS = ("cola", "lemonade", "water", "orange-juice")


def offers_products(result: TurnResult) -> set[str]:
    """The products the turn's buttons offer to add."""
    return {
        product
        for b in result.buttons
        if b["payload"].startswith("/add_to_cart")
        for product in (*DRINKS, "margherita")
        if f'"product": "{product}"' in b["payload"]
    }


@pytest.mark.parametrize(
    "texts",
    [
        ["duża margherita", "do tego coś do picia"],
        ["duza margherita", "a do tego cos do picia"],
        ["a large margherita", "and something to drink"],
        ["a large margherita", "something cold please"],
        # Asked for with the order: the pizza is added, the drinks offered.
        ["a large margherita and something cold"],
        ["a large margherita and something to drink"],
        ["duża margherita i coś zimnego"],
        ["duza margherita i cos do picia"],
    ],
)
async def test_something_to_drink_offers_the_drinks_and_adds_none(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat, result = await saying(dialogue_core, texts)
    assert offers_products(result) == set(DRINKS)
    assert not offers_a_person(result), result.text
    assert (await end_state(chat))["cart"] == ["1 margherita large"]


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["mała capricciosa", "a jednak bez jednej capricciosy"], []),
        (["mala capricciosa", "a jednak bez jednej capricciosy"], []),
        (["mała capricciosa i cola", "jednak bez jednej capricciosy"], ["1 cola"]),
        (["2 małe capricciosy", "a jednak bez jednej capricciosy"], ["1 capricciosa small"]),
        (["a small capricciosa and a coke", "actually without one capricciosa"], ["1 cola"]),
    ],
)
async def test_one_of_an_item_declined_takes_one_out(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    chat, _ = await saying(dialogue_core, texts)
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    "texts",
    [
        ["2 cole", "chcę zapłacić później"],
        ["2 cole", "chce zaplacic pozniej"],
        ["2 cole", "zapłacę później"],
        ["two cokes", "I'll pay later"],
        ["two cokes", "can I pay later?"],
    ],
)
async def test_paying_later_is_answered_with_how_one_pays_and_starts_no_checkout(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat, result = await saying(dialogue_core, texts)
    # The shop's payment facts: cash or card to the driver (its words in either language).
    assert "gotówka" in result.text or "cash" in result.text, result.text
    assert await flow_of(chat) is None  # no checkout started
    assert not offers_a_person(result)
    assert (await end_state(chat))["cart"] == ["2 cola"]


@pytest.mark.parametrize(
    ("texts", "address"),
    [
        (["duża margherita", "to wszystko", "dostawa", "Na Zjeździe 11", "Ala 600 111 224"],
         "Na Zjeździe 11"),
        (["duza margherita", "to wszystko", "dostawa", "Na Zjezdzie 11, Krakow",
          "Ala 600 111 224"], "Na Zjezdzie 11, Krakow"),
        (["a large margherita", "done", "delivery", "Na Zjeździe 11", "Ann 600 111 225"],
         "Na Zjeździe 11"),
        (["duża margherita z dostawą, adres Na Zjeździe 11, Kraków", "to wszystko",
          "Ala 600 111 224"], "Na Zjeździe 11, Kraków"),
        # A preposition typed in lower case still leads up to the street.
        (["duża margherita", "to wszystko", "dostawa", "na Tomasza 20", "Ala 600 111 224"],
         "Tomasza 20"),
    ],
)  # fmt: skip
async def test_a_street_named_with_a_preposition_is_kept_as_typed(
    dialogue_core: Core, texts: list[str], address: str
) -> None:
    chat, _ = await saying(dialogue_core, texts)
    await chat.press("·")  # "Potwierdzam · gotówka" / "Confirm · cash"
    assert [(o.fulfilment, o.address) for o in await chat.orders()] == [("delivery", address)]


@pytest.mark.parametrize(
    ("texts", "thing"),
    [
        (["czy macie sprite?"], "sprite"),
        (["Czy macie Sprite?"], "Sprite"),
        (["do you have sprite?"], "sprite"),
        (["2 cole", "a macie piwo?"], "piwo"),
        (["two cokes", "do you have iced tea?"], "iced tea"),
        (["poproszę sprite"], "sprite"),
    ],
)
async def test_a_drink_not_on_the_menu_is_said_so_with_the_drinks_there_are(
    dialogue_core: Core, texts: list[str], thing: str
) -> None:
    chat, result = await saying(dialogue_core, texts)
    assert thing in result.text  # named as what is not there
    assert offers_products(result) == set(DRINKS)
    assert not offers_a_person(result), result.text
    assert await flow_of(chat) is None  # no "shall I ask the staff?" waiting
    cart = (await end_state(chat))["cart"]
    assert cart == (["2 cola"] if len(texts) > 1 else [])

"""What a customer names is read as meant: a product with words of how it comes is that
product (a flavour the menu lacks is not: tests/dialogue/test_asked_and_named.py), things
named alone are ordered (never taken out), a word a letter from a short name is no product.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the cart it leaves and what it was told.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying
from tests.dialogue.test_understanding import end_state

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("text", "cart"),
    [
        ("lemoniada", ["1 lemonade"]),
        ("zimną lemoniadę poproszę", ["1 lemonade"]),
        ("a cold lemonade", ["1 lemonade"]),
        ("hi there, lemonade please", ["1 lemonade"]),
        ("kola", ["1 cola"]),
        ("mała margherita", ["1 margherita small"]),
        ("2 large pepperoni", ["2 pepperoni large"]),
    ],
)
async def test_the_plain_product_with_words_of_how_it_comes_is_ordered(
    dialogue_core: Core, text: str, cart: list[str]
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["woda i sok"], ["1 orange-juice", "1 water"]),
        (["cola i woda"], ["1 cola", "1 water"]),
        (["water and juice"], ["1 orange-juice", "1 water"]),
        # Asked which to take out, a thing named alone is that one.
        (["duża margherita i 2 cole", "usuń", "cola"], ["1 margherita large"]),
        (["a large margherita and 2 cokes", "remove something", "the cokes"],
         ["1 margherita large"]),
    ],
)  # fmt: skip
async def test_things_named_alone_are_ordered_unless_asked_which_to_take_out(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    ("text", "cart"),
    [
        # Words of the language a letter or two from a short name are no product.
        ("kolka", []),
        ("kółka", []),
        ("poproszę kolce", []),
        ("wodka", []),
        # The name itself, inflected or made a pet name, still is.
        ("kola", ["1 cola"]),
        ("poproszę kolę", ["1 cola"]),
        ("dwie colki", ["2 cola"]),
        ("2 wody", ["2 water"]),
    ],
)
async def test_a_word_a_letter_from_a_short_name_is_no_product(
    dialogue_core: Core, text: str, cart: list[str]
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert (await end_state(chat))["cart"] == cart

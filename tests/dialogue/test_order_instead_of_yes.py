"""An order typed where the bot asked "Empty your whole cart?" is a change of mind: the cart
is kept (as after "no"), the new order is added to it, and the customer is told so — the
question is not left open for a later "yes" to empty it all.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the cart it leaves.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "kept", "cart"),
    [
        (["duża margherita i cola", "wyczyść koszyk", "to dodaj jeszcze małą pepperoni"],
         "Nie czyszczę koszyka", ["1 cola", "1 margherita large", "1 pepperoni small"]),
        (["duża margherita i cola", "wyczyść koszyk", "nie, poproszę jeszcze sok"],
         "Nie czyszczę koszyka", ["1 cola", "1 margherita large", "1 orange-juice"]),
        (["a large margherita and a coke", "empty my cart", "add a small pepperoni"],
         "haven't emptied your cart", ["1 cola", "1 margherita large", "1 pepperoni small"]),
        (["a large margherita and a coke", "empty my cart", "two waters please"],
         "haven't emptied your cart", ["1 cola", "1 margherita large", "2 water"]),
    ],
)  # fmt: skip
async def test_an_order_instead_of_the_answer_keeps_the_cart_and_adds_to_it(
    dialogue_core: Core, texts: list[str], kept: str, cart: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        reply = await chat.say(text)
    assert kept in reply.text, reply.text
    assert (await end_state(chat))["cart"] == cart
    # The question is no longer open: a "yes" now empties nothing.
    await chat.say("tak" if "koszyk" in kept else "yes")
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    "texts", [["duża margherita i cola", "wyczyść koszyk", "tak"],
              ["a large margherita and a coke", "empty my cart", "yes"]]
)  # fmt: skip
async def test_a_yes_still_empties_the_cart(dialogue_core: Core, texts: list[str]) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        await chat.say(text)
    assert (await end_state(chat))["cart"] == []

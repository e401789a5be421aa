"""A word that shares its first letters with a product or a category but ends as no Polish
or English ending would is another word: "pickup" is no "picia" (drinks), "cold" no "cola" —
while "colę", "sokiem", "wodzie", "veggie", "vegetarians" and the pet names "sosik" and
"colek" are still what they name. A real word that is no pet name is not one either: "kołek"
(a peg) is no cola, nor "wódka" water.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the cart it leaves and the order it places.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def cart_after(core: Core, texts: list[str], never_said: tuple[str, ...]) -> list[str]:
    """The cart a new customer leaves by saying `texts`, no reply saying any of `never_said`."""
    chat = Chat(core)
    for text in texts:
        reply = await chat.say(text)
        assert not any(words in reply.text for words in never_said), reply.text
    return list((await end_state(chat))["cart"])


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["a large margherita and something cold"], ["1 margherita large"]),
        (["a large margherita", "cold"], ["1 margherita large"]),
        (["a large margherita for pickup"], ["1 margherita large"]),
        (["duża margherita na pickup"], ["1 margherita large"]),
        # Inflected and shortened names still order what they name.
        (["duża margherita i colę"], ["1 cola", "1 margherita large"]),
        (["mała pepperoni z sokiem"], ["1 orange-juice", "1 pepperoni small"]),
        (["two large vegetarians"], ["2 vegetariana large"]),
        (["2 veggie", "large"], ["2 vegetariana large"]),
        # Pet names ending in -ik, -ek still name what they stand for.
        (["duża margherita i sosik czosnkowy"], ["1 garlic-sauce", "1 margherita large"]),
        (["poproszę pięć colek"], ["5 cola"]),
        (["poprosze piec colek i sosik czosnkowy"], ["1 garlic-sauce", "5 cola"]),
        (["poproszę colkę"], ["1 cola"]),
    ],
)
async def test_a_word_sharing_a_names_first_letters_orders_nothing(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    # No word of the message is an item "not on the menu" either.
    assert await cart_after(dialogue_core, texts, never_said=("not on our menu", "w menu")) == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["kołek"], []),
        (["poproszę kołek"], []),
        # Without its diacritic, and not after a number: no plural of "colka" either.
        (["kolek"], []),
        (["duża margherita i kołek"], ["1 margherita large"]),
        (["poproszę 5 kołków"], []),
        (["mała pepperoni i wódka"], ["1 pepperoni small"]),
    ],
)
async def test_a_word_that_is_no_pet_name_of_a_product_orders_nothing(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert await cart_after(dialogue_core, texts, never_said=("Cola", "Woda")) == cart


@pytest.mark.parametrize(
    "texts",
    [
        ["duża margherita na pickup", "to wszystko", "Ala 600 111 224"],
        ["a large margherita for pickup", "done", "Ann 600 111 225"],
        ["duża margherita", "to wszystko", "pickup", "Ala 600 111 224"],
    ],
)
async def test_pickup_typed_is_the_way_not_the_drinks(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        await chat.say(text)
    await chat.press("·")  # "Potwierdzam · gotówka" / "Confirm · cash"
    assert [(o.fulfilment, o.address) for o in await chat.orders()] == [("pickup", None)]

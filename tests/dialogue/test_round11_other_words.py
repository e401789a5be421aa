"""Round 11's lessons in other words than the fixes' own tests (written from the fix list
alone, run once untuned after they landed: 9/9).

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case a new customer.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of
from tests.dialogue.test_understanding import talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "fulfilment", "payment"),
    [
        # The contact typed after an order that had its way and address: the payment next.
        (["srednia capricciosa z dowozem na Karmelicka 12/3", "Tomek 601 222 333", "karta"],
         "delivery", "card"),
        (["a medium pepperoni delivered to Dluga 20, Krakow", "Mark 602 333 444", "cash please"],
         "delivery", "cash"),
        # Done and the way in one message.
        (["mala margherita", "dobra to tyle, odbiore osobiscie", "Ewa 603 444 555", "gotowka"],
         "pickup", "cash"),
        (["a large hawaiian", "ok that's it, i'll collect it", "Jo 604 555 666", "card"],
         "pickup", "card"),
    ],
)  # fmt: skip
async def test_an_order_goes_through_in_few_words(
    dialogue_core: Core, texts: list[str], fulfilment: str, payment: str
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders, "no order"
    assert (orders[0].fulfilment, orders[0].payment_method) == (fulfilment, payment)


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["duza diavola i sos czosnkowy", "sosu jednak nie potrzebuje"], ["1 diavola large"]),
        (["a small margherita and a lemonade", "actually skip the drink"],
         ["1 margherita small"]),
        (["a large pepperoni and 2 cokes", "the cokes should be orange juices"],
         ["1 pepperoni large", "2 orange-juice"]),
    ],
)  # fmt: skip
async def test_declining_and_swapping(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    "text",
    [
        "kurier przywiozl nam czyjes zamowienie, nie nasze",
        "we got somebody else's pizzas, not what we ordered",
    ],
)
async def test_someone_elses_order_goes_to_a_person(dialogue_core: Core, text: str) -> None:
    state = await talk(dialogue_core, text)
    assert state["reasons"], state

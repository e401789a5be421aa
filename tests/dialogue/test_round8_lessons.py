"""What round 8's held-out journeys taught, said in other words than theirs: a number said not
to be meant, a question about a product in the cart, giving up on all of it, coming for it
oneself at the summary, a question about paying that says "take", and the same order again.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the state it leaves.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of
from tests.dialogue.test_understanding import end_state, talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["4 male cole", "mialy byc 3 a nie 4"], ["3 cola"]),
        (["two medium hawaiians", "should be 3 not 2"], ["3 hawaii medium"]),
    ],
)
async def test_the_number_said_not_to_be_meant_is_not_the_new_quantity(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


async def test_this_in_polish_is_no_ten_of_the_product_asked_about(dialogue_core: Core) -> None:
    chat = await chat_saying(dialogue_core, "srednia margherita i sos czosnkowy")
    reply = await chat.say("a ten czosnkowy ma jajka?")
    assert (await end_state(chat))["cart"] == ["1 garlic-sauce", "1 margherita medium"]
    assert "jaja" in reply.text.lower()  # its allergens shown


@pytest.mark.parametrize(
    "texts",
    [
        ["dwie duze diavole i sok", "zapomnij o tym wszystkim", "tak"],
        ["a large pepperoni and two waters", "scrap all of that", "yes"],
    ],
)
async def test_giving_up_on_all_of_it_empties_the_cart_after_a_yes(
    dialogue_core: Core, texts: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == []


@pytest.mark.parametrize(
    "texts",
    [
        ["dwie male diavole i sok", "to wszystko", "dostawa", "Dluga 5, Krakow",
         "Ala 600 111 224", "dobra, odbiore to sam", "gotowka"],
        ["2 small diavolas and a juice", "done", "delivery", "Dluga 5, Krakow",
         "Ann 600 111 225", "fine, i'll pick it up myself then", "cash"],
    ],
)  # fmt: skip
async def test_coming_for_it_oneself_at_the_summary_is_pickup(
    dialogue_core: Core, texts: list[str]
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].fulfilment == "pickup"


async def test_a_question_about_paying_that_says_take_places_nothing(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core,
        "a large diavola delivered please",
        "that's all",
        "Dluga 5, Krakow",
        "Ken 600 111 226",
        "will the courier take a card?",
    )
    assert await orders_of(chat) == []
    await chat.say("card")
    orders = await orders_of(chat)
    assert orders and orders[0].payment_method == "card"


@pytest.mark.parametrize(
    ("texts", "fulfilment"),
    [
        (["mala pepperoni z odbiorem", "to wszystko", "Ola 600 100 300", "karta",
          "poprosze jeszcze raz to samo", "tak", "karta"], "pickup"),
        (["a medium diavola and a juice delivered to Dluga 7, Krakow", "that's all",
          "Olaf 600 100 301", "cash", "same order again please", "yes", "cash"], "delivery"),
    ],
)  # fmt: skip
async def test_the_same_order_again_goes_the_same_way_to_the_same_person(
    dialogue_core: Core, texts: list[str], fulfilment: str
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert len(orders) == 2
    first_phone = texts[2].split(" ", 1)[1].replace(" ", "")
    assert orders[0].fulfilment == fulfilment
    assert orders[0].contact_phone == "+48" + first_phone


@pytest.mark.parametrize(
    "texts",
    [
        ["mala diavola", "to wszystko", "odbior", "gotowe", "Ola 600 100 227"],
        ["a small diavola", "that's all", "pickup", "done", "Ola 600 100 227"],
    ],
)
async def test_done_where_the_name_is_asked_is_no_name(
    dialogue_core: Core, texts: list[str]
) -> None:
    """Round 8's first run: "done" typed where the name was asked became "Contact: done"."""
    chat = await chat_saying(dialogue_core, *texts[:-1])
    summary = await chat.say(texts[-1])
    assert "Ola, 600 100 227" in summary.text


@pytest.mark.parametrize(
    ("texts", "answer"),
    [
        (["a large diavola delivered please", "that's all", "Dluga 5, Krakow",
          "Ken 600 111 228", "do your drivers take cards at the door?"], "cash or card"),
        (["mala diavola na wynos", "to wszystko", "Ola 600 111 229",
          "czy moge zaplacic blikiem przy odbiorze?"], "BLIK"),
    ],
)  # fmt: skip
async def test_a_question_about_the_shop_at_the_summary_is_answered(
    dialogue_core: Core, texts: list[str], answer: str
) -> None:
    chat = await chat_saying(dialogue_core, *texts[:-1])
    reply = await chat.say(texts[-1])
    assert answer in reply.text
    assert "rephrase" not in reply.text and "inaczej" not in reply.text
    assert await orders_of(chat) == []

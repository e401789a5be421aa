"""What round 9's held-out journeys taught, said in other words than theirs: a complaint told
as what happened that touches an FAQ topic, "how is it going" asked of an order, giving up
on one product, a kind of product named in the plural, delivery asked for at the summary
with the address after the question.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the state it leaves.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of
from tests.dialogue.test_understanding import talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    "text",
    [
        # Read by the NLU as FAQ answers (payment, meat-free pizzas), surely.
        "kurier pomylil bloki i jedzenie dotarlo do nas zupelnie zimne",
        "zamowilam wegetarianska, a przyszla z szynka, a ja nie jem miesa",
        # Read as an order of the margherita.
        "i ordered a margherita and it came with pineapple on it",
    ],
)
async def test_a_complaint_told_as_what_happened_is_no_faq_question_and_no_order(
    dialogue_core: Core, text: str
) -> None:
    state = await talk(dialogue_core, text)
    assert state["conversation"] == "waiting_agent"
    assert state["reasons"] == ["complaint"]
    assert state["cart"] == []


@pytest.mark.parametrize(
    "text", ["ktore pizze sa u was bez miesa?", "is the vegetarian pizza meat-free?"]
)
async def test_a_question_about_the_same_topics_stays_a_question(
    dialogue_core: Core, text: str
) -> None:
    assert (await talk(dialogue_core, text))["conversation"] == "bot"


async def test_how_is_it_going_after_ordering_tells_the_order(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core, "mala margherita na wynos", "to wszystko", "Ola 600 111 231", "gotowka"
    )
    orders = await orders_of(chat)
    reply = await chat.say("jak tam z zamowieniem?")
    assert orders[0].number in reply.text


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["srednia diavola i cola", "diavole jednak odpuszczam"], ["1 cola"]),
        (["a small pepperoni and an orange juice", "the juice, never mind"], ["1 pepperoni small"]),
    ],
)
async def test_giving_up_on_one_product_takes_that_product_out(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["duza margherita, woda i sok", "usun napoje"], ["1 margherita large"]),
        (["a medium diavola, a garlic sauce and a bbq sauce", "drop the sauces please"],
         ["1 diavola medium"]),
        # One of the kind named, of several: which one is asked, nothing goes yet.
        (["duza margherita, woda i sok", "usun napoj"],
         ["1 margherita large", "1 orange-juice", "1 water"]),
    ],
)  # fmt: skip
async def test_a_kind_named_in_the_plural_takes_out_every_item_of_it(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    "texts",
    [
        ["srednia diavola na wynos", "to wszystko", "Ola 600 111 232",
         "a moglibyscie ja jednak dowiezc? ul. Szewska 8/2, Krakow", "gotowka"],
        ["a medium diavola for pickup", "that's all", "Ola 600 111 233",
         "hmm can you deliver it after all? Szewska 8/2, Krakow", "cash"],
    ],
)  # fmt: skip
async def test_asking_for_delivery_at_the_summary_then_giving_the_address_delivers_there(
    dialogue_core: Core, texts: list[str]
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].fulfilment == "delivery"
    assert "Szewska 8/2" in str(orders[0].address)
    assert not orders[0].note

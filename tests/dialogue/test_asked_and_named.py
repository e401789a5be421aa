"""What a customer notices when the bot reads a message too narrowly: two questions asked at
once and one left unanswered, a cart collected in the shop told what delivery would cost, an
address given under its name ("adres: Na Zjeździe 11", "address: 5 Baker St") not taken.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by what the replies say and the state they leave.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "free_delivery"),
    [
        # The way said with the order, and chosen at the checkout.
        (["mała margherita na wynos"], "darmowej dostawy"),
        (["a small margherita for pickup"], "free delivery"),
        (["mała margherita", "zamawiam", "odbiór osobisty"], "darmowej dostawy"),
        (["a small margherita", "checkout", "pickup"], "free delivery"),
    ],
)
async def test_a_cart_for_pickup_hears_nothing_of_free_delivery(
    dialogue_core: Core, texts: list[str], free_delivery: str
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    shown = await chat.say("koszyk" if free_delivery == "darmowej dostawy" else "show my cart")
    assert "Margherita" in shown.text
    assert free_delivery not in shown.text.lower()


@pytest.mark.parametrize(
    ("texts", "free_delivery"),
    [
        (["mała margherita", "koszyk"], "darmowej dostawy"),
        (["a small margherita", "cart"], "free delivery"),
    ],
)
async def test_a_cart_for_delivery_or_not_yet_decided_still_hears_it(
    dialogue_core: Core, texts: list[str], free_delivery: str
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    assert chat.last is not None
    assert free_delivery in chat.last.text.lower()


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("do której jesteście otwarci i ile kosztuje dostawa?", ["otwarci", "dostawa kosztuje"]),
        ("what are your hours and do you take cards?", ["we are open", "card"]),
        ("czy dowozicie na Kazimierz? a ile to kosztuje?", ["strefie dostawy", "kosztuje 9,90"]),
        ("how long does delivery take, and can I pay with blik?", ["minutes", "blik"]),
    ],
)
async def test_two_questions_in_one_message_get_both_answers_in_order(
    dialogue_core: Core, text: str, answers: list[str]
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert chat.last is not None
    assert len(chat.last.replies) == 1
    said = chat.last.text.lower()
    where = [said.find(answer) for answer in answers]
    assert -1 not in where, said
    assert where == sorted(where), said


async def test_a_second_question_at_the_checkout_is_answered_before_its_question_again(
    dialogue_core: Core,
) -> None:
    chat = await chat_saying(dialogue_core, "a small margherita", "checkout")
    said = (await chat.say("when do you close and how much is delivery?")).text.lower()
    where = [
        said.find(answer) for answer in ("we are open", "delivery costs", "delivery or pickup")
    ]
    assert -1 not in where, said
    assert where == sorted(where), said


@pytest.mark.parametrize(
    ("texts", "address"),
    [
        # Asked delivery or pickup, the address given under its name.
        (["duża margherita", "zamawiam", "adres: Na Zjeździe 11"], "Na Zjeździe 11"),
        (["a large margherita", "checkout", "address: 5 Baker St"], "5 Baker St"),
        # Asked for the address.
        (["duża margherita", "zamawiam", "dostawa", "mój adres to Na Zjeździe 11"],
         "Na Zjeździe 11"),
        # Said with the order, or after it.
        (["duża margherita, adres: Na Zjeździe 11", "zamawiam"], "Na Zjeździe 11"),
        (["duża margherita", "adres: Na Zjeździe 11"], "Na Zjeździe 11"),
        (["a large margherita", "my address is 5 Baker St"], "5 Baker St"),
    ],
)  # fmt: skip
async def test_an_address_given_under_its_name_is_where_the_order_goes(
    dialogue_core: Core, texts: list[str], address: str
) -> None:
    pl = texts[0].startswith("duża")
    chat = await chat_saying(dialogue_core, *texts, "Ola 600 111 231")
    await chat.say("gotówka" if pl else "cash")
    [order] = await orders_of(chat)
    assert (order.fulfilment, order.address) == ("delivery", address)
    # One large margherita: the street's number is no number of pizzas.
    assert order.subtotal == dialogue_core.dialogue.catalog.products["margherita"].price("large")

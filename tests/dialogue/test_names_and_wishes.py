"""A product named like an FAQ's word ("Wegetariańska", the meat-free pizzas' FAQ) changed,
removed or priced rather than ordered again; a way wished for at the summary ("chcę odebrać
osobiście") taken as the way, not as a note; more of the same and a card's product asked for
without its name ordered. The real pipeline and NLU, judged by the
cart, the order and the reply."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.store.models import Order
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state, talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["duża wegetariańska", "zmień wegetariańską na małą"], ["1 vegetariana small"]),
        (["duza wegetarianska i cola", "zmien wegetarianska na mala"],
         ["1 cola", "1 vegetariana small"]),
        (["2 duże wegetariańskie", "a jednak bez jednej wegetarianskiej"],
         ["1 vegetariana large"]),
        (["poproszę średnią wegetariańską"], ["1 vegetariana medium"]),
    ],
)  # fmt: skip
async def test_a_product_named_like_an_faq_word_is_changed_not_added(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("ile kosztuje duża wegetariańska", "42,90"),
        ("ile kosztuje duza wegetarianska", "42,90"),
        ("które pizze są wegetariańskie?", "Bez mięsa"),
        # Of one pizza: a yes from the catalog (it is meat-free, as the FAQ says).
        ("czy margherita jest wegetariańska?", "Tak, Margherita jest wegetariańska."),
    ],
)
async def test_a_question_about_it_adds_nothing(dialogue_core: Core, text: str, said: str) -> None:
    chat = Chat(dialogue_core)
    reply = await chat.say(text)
    assert said in reply.text, reply.text
    assert (await end_state(chat))["cart"] == []


@pytest.mark.parametrize(
    "texts",
    [
        ["duża margherita", "to wszystko", "dostawa", "Długa 5, Kraków", "Jan 600 111 222",
         "chce odebrac osobiscie", "gotowka"],
        ["duża margherita", "to wszystko", "dostawa", "Długa 5, Kraków", "Jan 600 111 223",
         "chcę jednak odebrać osobiście", "gotówka"],
        ["a large margherita", "that's all", "delivery", "Dluga 5, Krakow", "Jim 600 111 224",
         "i'd like to pick it up", "cash"],
        # The verb's other stems.
        ["duża margherita", "to wszystko", "dostawa", "Długa 5, Kraków", "Ola 600 111 225",
         "chce jednak odebrac sama", "gotowka"],
        ["duża margherita", "to wszystko", "dostawa", "Długa 5, Kraków", "Ola 600 111 226",
         "wolę odebrać ją sama", "gotówka"],
    ],
)  # fmt: skip
async def test_a_way_wished_for_at_the_summary_is_the_way(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        reply = await chat.say(text)
        assert "menu" not in reply.text, (text, reply.text)
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        orders = list(await s.scalars(select(Order).where(Order.customer_id == chat.customer_id)))
    assert len(orders) == 1
    assert orders[0].fulfilment == "pickup" and not orders[0].address
    assert not orders[0].note


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["mała capricciosa", "i jeszcze jedną taką samą"], ["2 capricciosa small"]),
        (["duza margherita", "jeszcze 2"], ["3 margherita large"]),
        (["a large pepperoni", "2 more please"], ["3 pepperoni large"]),
        (["a coke", "another one"], ["2 cola"]),
        # A correction is still a correction, and "one more" of two things names nothing.
        (["duża margherita", "jednak 2"], ["2 margherita large"]),
        (["duża margherita i cola", "jeszcze jedną"], ["1 cola", "1 margherita large"]),
    ],
)  # fmt: skip
async def test_more_of_the_same_adds_the_item_just_added(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["ile kosztuje srednia capricciosa", "to poprosze ja", "srednia"],
         ["1 capricciosa medium"]),
        (["co jest w diavoli?", "to poproszę ją", "dużą"], ["1 diavola large"]),
    ],
)  # fmt: skip
async def test_the_product_of_a_card_asked_for_without_its_name_is_ordered(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart

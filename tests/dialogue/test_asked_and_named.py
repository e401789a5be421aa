"""What a customer notices when the bot reads a message too narrowly: two questions asked at
once and one left unanswered, a cart collected in the shop told what delivery would cost, an
address given under its name ("adres: Na Zjeździe 11", "address: 5 Baker St") not taken, a kind
of product the menu lacks ("sok jabłkowy", "apple juice") given as the kind it has.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by what the replies say and the state they leave.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of
from tests.dialogue.test_understanding import end_state

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


@pytest.mark.parametrize(
    ("texts", "cart", "thing"),
    [
        (["sok jabłkowy"], [], "sok jabłkowy"),
        (["apple juice please"], [], "apple juice"),
        (["czy macie sok jabłkowy?"], [], "sok jabłkowy"),
        (["woda gazowana"], [], "woda gazowana"),
        # Beside an order: the order is taken, the missing thing named.
        (["duża margherita i sok jabłkowy"], ["1 margherita large"], "sok jabłkowy"),
        (["a small pepperoni and an apple juice"], ["1 pepperoni small"], "apple juice"),
        # A flavour or kind of a product named by one word: never the plain product.
        (["lemoniada truskawkowa"], [], "lemoniada truskawkowa"),
        (["poproszę lemoniadę malinową"], [], "lemoniadę malinową"),
        (["strawberry lemonade"], [], "strawberry lemonade"),
        (["can I get a mango lemonade?"], [], "mango lemonade"),
        (["kola wiśniowa"], [], "kola wiśniowa"),
        (["a cherry coke please"], [], "cherry coke"),
        (["duża margherita i lemoniada miętowa"], ["1 margherita large"], "lemoniada miętowa"),
        (["2 large pepperoni and a diet coke"], ["2 pepperoni large"], "diet coke"),
    ],
)
async def test_a_kind_the_menu_lacks_is_said_so_never_given_as_the_kind_it_has(
    dialogue_core: Core, texts: list[str], cart: list[str], thing: str
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    assert chat.last is not None
    assert thing in chat.last.text
    assert (await end_state(chat))["cart"] == cart
    if not cart:
        # Asked for alone: the drinks there are, to pick from (the orange juice among them).
        titles = [b["title"] for b in chat.last.buttons]
        assert any("Sok pomarańczowy" in t or "Orange juice" in t for t in titles), titles


@pytest.mark.parametrize(
    "text", ["sok pomarańczowy", "an orange juice", "poproszę sok", "a juice please"]
)
async def test_the_kind_the_menu_has_or_the_thing_alone_is_ordered(
    dialogue_core: Core, text: str
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert (await end_state(chat))["cart"] == ["1 orange-juice"]

"""Customers say two things in one message, or point back at what was said: a greeting with
an order, an order with its way and address, "no, that's all", a swap, a recount, "the same
address as before", a payment said where a name was asked, the total asked in passing.

Judged by the state they leave (cart, order, its way, address and contact), through the
real pipeline and NLU (tests/dialogue/conftest.py), in Polish and English. Each case is a
new customer.
"""

from __future__ import annotations

from typing import Any

import pytest

from bot.core import Core
from bot.store import repo
from bot.store.models import Customer
from tests.dialogue.chat import Chat, TurnResult

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def play(core: Core, *texts: str) -> Chat:
    chat = Chat(core)
    for text in texts:
        result = await chat.say(text)
        assert result.replies, f"no reply to {text!r}"
    return chat


async def cart_of(chat: Chat) -> list[str]:
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        cart = await repo.cart_of(s, chat.customer_id)
        return sorted(
            f"{i.quantity} {i.product_id}" + (f" {i.size}" if i.size else "") for i in cart.items
        )


async def placed(chat: Chat) -> list[dict[str, Any]]:
    return [
        {
            "total": o.total,
            "fulfilment": o.fulfilment,
            "address": o.address,
            "name": o.contact_name,
            "phone": o.contact_phone,
            "payment": o.payment_method,
        }
        for o in await chat.orders()
    ]


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["dzien dobry, srednia capricciosa"], ["1 capricciosa medium"]),
        (["elo, duza hawajska"], ["1 hawaii large"]),
        (["good evening, a small hawaiian and 2 waters"], ["1 hawaii small", "2 water"]),
    ],
)
async def test_a_greeting_with_an_order_orders(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert await cart_of(await play(dialogue_core, *texts)) == cart


@pytest.mark.parametrize(
    ("texts", "order"),
    [
        (
            [
                "hey there, two large hawaiians please",
                "how much is delivery?",
                "nope, that'd be all",
                "delivery",
                "Długa 12/4, Kraków",
                "Sam, 600 400 500",
                "cash",
            ],
            {"total": 8980, "fulfilment": "delivery", "address": "Długa 12/4, Kraków"},
        ),
        (
            [
                "dzien dobry, duza diavola",
                "ile kosztuje dostawa?",
                "nie, to tyle",
                "odbiór",
                "Ola 601 222 333",
                "kartą",
            ],
            {"total": 4590, "fulfilment": "pickup", "address": None},
        ),
        # The way typed alone after an answer, with the cart full and no checkout asked for.
        (
            [
                "a medium diavola and a water",
                "how much is delivery?",
                "delivery",
                "Dietla 3, Krakow",
                "Ray 600 222 111",
                "card",
            ],
            {"total": 5370, "fulfilment": "delivery", "address": "Dietla 3, Krakow"},
        ),
    ],
)
async def test_no_that_is_all_after_an_answer_checks_out(
    dialogue_core: Core, texts: list[str], order: dict[str, Any]
) -> None:
    chat = await play(dialogue_core, *texts)
    orders = await placed(chat)
    assert [{k: o[k] for k in order} for o in orders] == [order]
    assert await cart_of(chat) == []


@pytest.mark.parametrize(
    ("texts", "order"),
    [
        (
            [
                "srednia hawajska z dostawa na Dluga 5, Krakow",
                "to wszystko",
                "Ania, 600 111 222",
                "karta",
            ],
            {"total": 4680, "fulfilment": "delivery", "address": "Dluga 5, Krakow"},
        ),
        (
            [
                "a large pepperoni delivered to 12 Wielopole, Krakow",
                "checkout",
                "Kit 600 999 111",
                "cash",
            ],
            {"total": 5480, "fulfilment": "delivery", "address": "12 Wielopole, Krakow"},
        ),
        # Short of the delivery minimum: something added, and the way and address said with
        # the order still hold ("that's it" while checking out is no name).
        (
            [
                "a small margherita, delivery to Wielopole 3, Krakow please",
                "checkout",
                "and a cola",
                "that's it",
                "Tom 512 000 111",
                "card",
            ],
            {"total": 4270, "fulfilment": "delivery", "address": "Wielopole 3, Krakow"},
        ),
        (
            [
                "mala capricciosa z dowozem na Starowiślną 20, Kraków",
                "zamawiam",
                "dodaj wode",
                "to tyle",
                "Bartek 733 222 111",
                "gotowka",
            ],
            {"total": 4470, "fulfilment": "delivery", "address": "Starowiślną 20, Kraków"},
        ),
    ],
)
async def test_an_order_said_with_its_way_and_address_keeps_both(
    dialogue_core: Core, texts: list[str], order: dict[str, Any]
) -> None:
    orders = await placed(await play(dialogue_core, *texts))
    assert [{k: o[k] for k in order} for o in orders] == [order]


@pytest.mark.parametrize(
    ("texts", "cart", "address"),
    [
        (
            ["dwie male hawajskie z dostawa: Grzegórzecka 15, Kraków", "to wszystko"],
            ["2 hawaii small"],
            "Grzegórzecka 15, Kraków",
        ),
        (
            ["a medium diavola and a cola for delivery, Basztowa 7 Krakow", "that's all"],
            ["1 cola", "1 diavola medium"],
            "Basztowa 7 Krakow",
        ),
        (
            ["srednia pepperoni na dowoz - ul. Lubicz 12/4, Krakow", "nic wiecej"],
            ["1 pepperoni medium"],
            "ul. Lubicz 12/4, Krakow",
        ),
    ],
)
async def test_an_address_set_off_by_a_comma_after_the_way_is_the_address(
    dialogue_core: Core, texts: list[str], cart: list[str], address: str
) -> None:
    """ "…z dostawą: Grzegórzecka 15": the house number orders nothing, the address is kept
    (the checkout goes on to the name, not the address)."""
    chat = await play(dialogue_core, *texts)
    assert await cart_of(chat) == cart
    await chat.say("Ala 600 101 202")
    result = await chat.say(
        "gotowka" if "to wszystko" in texts or "nic wiecej" in texts else "cash"
    )
    assert result.replies
    orders = await placed(chat)
    assert [(o["fulfilment"], o["address"]) for o in orders] == [("delivery", address)]


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (
            [
                "srednia hawajska",
                "zamawiam",
                "dostawa",
                "Sarego 3, Kraków",
                "Jan 600 700 100",
                "karta",
            ],
            ["poprosze duza diavole i sok, pod adres co ostatnio", "to tyle", "tak", "karta"],
        ),
        (
            [
                "a large margherita",
                "checkout",
                "delivery",
                "Basztowa 9, Krakow",
                "Amy 600 700 200",
                "cash",
            ],
            [
                "a small pepperoni and 2 cokes to my previous address please",
                "that's it",
                "yes",
                "cash",
            ],
        ),
    ],
)
async def test_an_order_said_with_the_address_as_before_is_delivered_there(
    dialogue_core: Core, first: list[str], second: list[str]
) -> None:
    """The last address asked for in words with the order: delivery there, not asked again
    (the name is offered next, so "yes" takes the saved contact)."""
    chat = await play(dialogue_core, *first, *second)
    orders = await placed(chat)
    assert len(orders) == 2
    assert orders[1]["fulfilment"] == "delivery"
    assert orders[1]["address"] == orders[0]["address"]
    assert orders[1]["phone"] == orders[0]["phone"]


@pytest.mark.parametrize(
    ("texts", "order"),
    [
        (
            ["sok", "zamawiam", "z dowozem", "Sarego 7, Kraków", "dorzuc duza capricciose"],
            {"fulfilment": "delivery", "address": "Sarego 7, Kraków", "total": 5480 + 990},
        ),
        (
            ["a medium hawaiian", "that's all", "Dietla 12/2, Krakow"],
            {"fulfilment": "delivery", "address": "Dietla 12/2, Krakow", "total": 3690 + 990},
        ),
    ],
)
async def test_an_address_typed_for_delivery_or_pickup_or_short_of_the_minimum_is_kept(
    dialogue_core: Core, texts: list[str], order: dict[str, Any]
) -> None:
    """An address answering "delivery or pickup?" is delivery there; typed while delivery
    waits for the minimum, it is kept for when the cart reaches it (not asked again)."""
    chat = await play(dialogue_core, *texts, "Ewa 600 555 444", "karta")
    orders = await placed(chat)
    assert [{k: o[k] for k in order} for o in orders] == [order]


@pytest.mark.parametrize(
    ("texts", "order"),
    [
        (
            ["duza hawajska", "to wszystko", "karta", "odbior", "Ula 600 444 222"],
            {"fulfilment": "pickup", "payment": "card"},
        ),
        (
            [
                "srednia diavola",
                "zamawiam",
                "dostawa",
                "gotowka",
                "Długa 3, Kraków",
                "Iza 600 444 333",
            ],
            {"fulfilment": "delivery", "payment": "cash"},
        ),
        (
            [
                "a large margherita",
                "checkout",
                "cash",
                "delivery",
                "Dluga 3, Krakow",
                "Ed 600 444 111",
            ],
            {"fulfilment": "delivery", "payment": "cash"},
        ),
    ],
)
async def test_a_payment_said_before_the_summary_is_kept_for_it(
    dialogue_core: Core, texts: list[str], order: dict[str, Any]
) -> None:
    """ "karta" asked delivery or pickup, "gotówka" asked the address: how they pay, not a
    miss; a bare confirmation at the summary then places the order that way."""
    chat = await play(dialogue_core, *texts, "potwierdzam" if "Ed" not in texts[-1] else "confirm")
    orders = await placed(chat)
    assert [{k: o[k] for k in order} for o in orders] == [order]


@pytest.mark.parametrize(
    ("texts", "order"),
    [
        (
            [
                "duza diavola",
                "zamawiam",
                "Marta 600 500 400",
                "z dostawą",
                "Dluga 7, Krakow",
                "gotowka",
            ],
            {"fulfilment": "delivery", "name": "Marta", "phone": "+48600500400"},
        ),
        (
            ["a large hawaiian", "checkout", "Bob, 601 601 601", "pickup", "card"],
            {"fulfilment": "pickup", "name": "Bob", "phone": "+48601601601"},
        ),
    ],
)
async def test_contact_typed_at_the_delivery_or_pickup_question_is_kept(
    dialogue_core: Core, texts: list[str], order: dict[str, Any]
) -> None:
    orders = await placed(await play(dialogue_core, *texts))
    assert [{k: o[k] for k in order} for o in orders] == [order]


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["duza diavola poprosze", "daj hawajska zamiast diavoli"], ["1 hawaii large"]),
        (["srednia margherita", "wymien margherite na wegetarianska"], ["1 vegetariana medium"]),
        (
            ["a medium pepperoni please", "swap the pepperoni for a capricciosa"],
            ["1 capricciosa medium"],
        ),
        (
            ["duza hawajska", "instead of the hawaiian i'll take a vegetarian"],
            ["1 vegetariana large"],
        ),
    ],
)
async def test_one_item_swapped_for_another(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert await cart_of(await play(dialogue_core, *texts)) == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (
            ["2 waters, 3 cokes and a small diavola", "oops, just 1 water"],
            ["1 diavola small", "1 water", "3 cola"],
        ),
        (
            ["3 cokes, 2 waters and a large pepperoni", "sorry, only 2 cokes and 1 water"],
            ["1 pepperoni large", "1 water", "2 cola"],
        ),
        (["poprosze 4 lemoniady", "sorki, tylko 3 lemoniady"], ["3 lemonade"]),
        # More of the same is still more.
        (["2 cole", "jeszcze 2 cole"], ["4 cola"]),
        (["2 cokes", "and 1 more coke"], ["3 cola"]),
    ],
)
async def test_a_number_corrected_sets_it_instead_of_adding(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert await cart_of(await play(dialogue_core, *texts)) == cart


@pytest.mark.parametrize(
    ("first", "second", "address"),
    [
        (
            [
                "srednia pepperoni i cola",
                "zamawiam",
                "dostawa",
                "Karmelicka 10, Kraków",
                "Zosia 600 700 900",
                "gotówka",
            ],
            [
                "poproszę jeszcze dużą hawajską",
                "zamawiam",
                "pod ten sam adres co poprzednio",
                "gotówka",
                "tak",
                "potwierdzam",
            ],
            "Karmelicka 10, Kraków",
        ),
        (
            [
                "a medium margherita and a cola",
                "checkout",
                "delivery",
                "Lubicz 4, Krakow",
                "Max 600 800 111",
                "card",
            ],
            [
                "a large diavola please",
                "checkout",
                "bring it to my previous address",
                "cash",
                "yes",
                "confirm",
            ],
            "Lubicz 4, Krakow",
        ),
    ],
)
async def test_a_returning_customer_asks_for_what_we_know_in_words(
    dialogue_core: Core, first: list[str], second: list[str], address: str
) -> None:
    """ "The same address as before" answers the question (not asked again); a payment
    said where the name was asked is how they pay, never their name."""
    chat = await play(dialogue_core, *first, *second)
    orders = await placed(chat)
    assert len(orders) == 2
    assert orders[1]["fulfilment"] == "delivery"
    assert orders[1]["address"] == address
    assert orders[1]["name"] == orders[0]["name"]
    assert orders[1]["payment"] == "cash"


async def test_a_payment_said_at_the_name_question_is_no_name(dialogue_core: Core) -> None:
    chat = await play(
        dialogue_core, "mala margherita", "zamawiam", "na wynos", "kartą", "Ewa 600 100 100"
    )
    await chat.say("potwierdzam")
    assert await placed(chat) == [
        {
            "total": 2490,
            "fulfilment": "pickup",
            "address": None,
            "name": "Ewa",
            "phone": "+48600100100",
            "payment": "card",
        }
    ]


@pytest.mark.parametrize(
    ("order", "ask", "total"),
    [
        ("2 duze pepperoni i cola", "ile bedzie do zaplaty razem", "97,70 zł"),
        ("dwie srednie margherity", "ile zaplace lacznie?", "65,80 zł"),
        ("a large diavola and two waters", "what does it all come to?", "PLN 57.70"),
    ],
)
async def test_the_total_asked_in_passing_shows_the_cart(
    dialogue_core: Core, order: str, ask: str, total: str
) -> None:
    chat = await play(dialogue_core, order)
    before = await cart_of(chat)
    reply = await chat.say(ask)
    assert total in reply.text
    assert await cart_of(chat) == before


@pytest.mark.parametrize(
    ("texts", "name"),
    [
        (
            ["Jestem Hania, 660 770 880, chce mala margherite i cole na wynos", "to wszystko"],
            "Hania",
        ),
        (["this is Tom Reed, 601 300 300, a large diavola for pickup", "checkout"], "Tom Reed"),
    ],
)
async def test_a_name_introduced_beside_the_phone_and_the_order_is_kept(
    dialogue_core: Core, texts: list[str], name: str
) -> None:
    """Name, phone and order in one message, each its own part: the payment then places the
    order (the name is not asked again, so the payment is never taken for it)."""
    chat = await play(dialogue_core, *texts, "gotówka")
    orders = await placed(chat)
    assert [(o["name"], o["fulfilment"], o["payment"]) for o in orders] == [
        (name, "pickup", "cash")
    ]


@pytest.mark.parametrize(
    ("texts", "name"),
    [
        (
            [
                "a large diavola and a lemonade for delivery please",
                "Szewska 8, Kraków",
                "that's all",
                "thanks",
                "Tom, 600 444 555",
                "card",
            ],
            "Tom",
        ),
        (
            ["duza hawajska na wynos", "zamawiam", "ok", "dzieki", "Kasia 600 444 556", "karta"],
            "Kasia",
        ),
    ],
)
async def test_words_that_mean_something_else_are_no_name(
    dialogue_core: Core, texts: list[str], name: str
) -> None:
    orders = await placed(await play(dialogue_core, *texts))
    assert [o["name"] for o in orders] == [name]


async def test_the_saved_contact_is_the_last_orders_name_and_phone(dialogue_core: Core) -> None:
    """A customer whose channel proved another number (an SMS sender) is offered the name and
    phone they gave on their last order, together — never a phone they did not give."""
    chat = await play(dialogue_core, "mala margherita", "zamawiam", "na wynos")
    await play_on(chat, "Anna 601 234 567", "gotówka")
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        customer = await s.get(Customer, chat.customer_id)
        assert customer is not None
        customer.phone = "+48699000111"
        await s.commit()
    offer = await play_on(chat, "duza pepperoni", "zamawiam", "odbior")
    assert "Anna, 601 234 567" in " ".join(b["title"] for b in offer.buttons)
    await play_on(chat, "tak", "gotówka")
    orders = await placed(chat)
    assert [(o["name"], o["phone"]) for o in orders] == [("Anna", "+48601234567")] * 2


async def play_on(chat: Chat, *texts: str) -> TurnResult:
    result = None
    for text in texts:
        result = await chat.say(text)
        assert result.replies, f"no reply to {text!r}"
    assert result is not None
    return result


@pytest.mark.parametrize(
    ("texts", "order"),
    [
        (
            ["a large margherita and 2 cokes", "delivery to Szewska 8, Krakow", "Tom 600 444 555",
             "card"],
            {"fulfilment": "delivery", "address": "Szewska 8, Krakow", "name": "Tom"},
        ),
        (
            ["srednia wegetarianska", "z dowozem na Karmelicka 12/3", "Ewa, 601 700 800",
             "gotowka"],
            {"fulfilment": "delivery", "address": "Karmelicka 12/3", "name": "Ewa"},
        ),
        # Wanting delivery (read as an order of nothing named) is no miss of the menu.
        (
            ["I'd like a large margherita", "I want delivery to Limanowskiego 10/4, Krakow",
             "Mark, 602 333 444", "card"],
            {"fulfilment": "delivery", "address": "Limanowskiego 10/4, Krakow", "name": "Mark"},
        ),
        (
            ["poproszę dużą margheritę", "chcę z dostawą na Limanowskiego 10/4, Kraków",
             "Marek, 602 333 444", "karta"],
            {"fulfilment": "delivery", "address": "Limanowskiego 10/4, Kraków", "name": "Marek"},
        ),
    ],
)  # fmt: skip
async def test_delivery_with_its_address_after_ordering_checks_out_there(
    dialogue_core: Core, texts: list[str], order: dict[str, Any]
) -> None:
    orders = await placed(await play(dialogue_core, *texts))
    assert [{k: o[k] for k in order} for o in orders] == [order]


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["czy macie sos czosnkowy?"], []),
        (["do you have garlic sauce?"], []),
        (["mala margherita", "a macie sos czosnkowy?"], ["1 margherita small"]),
    ],
)
async def test_asking_whether_the_shop_has_a_product_adds_nothing(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    chat = await play(dialogue_core, *texts)
    assert await cart_of(chat) == cart
    assert "garlic-sauce" not in " ".join(await cart_of(chat))

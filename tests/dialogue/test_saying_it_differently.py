"""What round 7's held-out journeys taught, said in other words than theirs: coming for it
in person in another word order, the last address asked for as a place, a street with an
abbreviated title, "that many is enough" setting the number, a product declined beside an
order, done ordering after a removal or in words that read as parting, waiting too long as a
complaint.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the state it leaves.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.orders import latest_order
from bot.store import repo
from bot.store.models import Order
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state, talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _flow(chat: Chat) -> str | None:
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        return (await repo.dialogue_state_of(s, chat.customer_id)).flow


async def _chat(core: Core, *texts: str) -> Chat:
    chat = Chat(core)
    for text in texts:
        assert (await chat.say(text)).replies, f"no reply to {text!r}"
    return chat


async def _order_after(core: Core, *texts: str) -> Order:
    """The customer's latest order once they have said all of `texts`."""
    chat = await _chat(core, *texts)
    assert chat.customer_id is not None
    async with core.sessions() as s:
        order = await latest_order(s, chat.customer_id)
        assert order is not None
        await s.refresh(order, ["items"])
    return order


@pytest.mark.parametrize(
    "texts",
    [
        ["mala margherita z dostawa", "to wszystko", "Dluga 5, Krakow", "Ania 600 111 222",
         "po pizze wpadne sama", "gotowka"],
        ["a small margherita delivered please", "that's all", "Dluga 5, Krakow",
         "Ann 600 111 223", "hmm i'll pop by and get it", "cash"],
    ],
)  # fmt: skip
async def test_coming_for_it_in_other_words_at_the_summary_is_pickup(
    dialogue_core: Core, texts: list[str]
) -> None:
    assert (await _order_after(dialogue_core, *texts)).fulfilment == "pickup"


@pytest.mark.parametrize(
    "texts",
    [
        ["srednia pepperoni z dostawa", "to wszystko", "Rakowicka 7, Krakow", "Iza 600 222 333",
         "karta", "i jeszcze mala hawajska i cola, na to samo miejsce co poprzednio",
         "to wszystko", "tak", "karta"],
        ["a medium pepperoni delivered please", "that's all", "Rakowicka 7, Krakow",
         "Ian 600 222 334", "card", "a medium diavola, bring it to the same spot as last time",
         "that's all", "yes", "card"],
    ],
)  # fmt: skip
async def test_the_last_address_asked_for_as_a_place_is_where_it_goes(
    dialogue_core: Core, texts: list[str]
) -> None:
    order = await _order_after(dialogue_core, *texts)
    assert order.fulfilment == "delivery"
    assert "Rakowicka 7" in str(order.address)
    assert {i.product_id for i in order.items} != {"pepperoni"}  # the second order


@pytest.mark.parametrize("address", ["ks. Kordeckiego 3, Krakow", "Sw. Gertrudy 20, 31-046 Krakow"])
async def test_a_street_with_an_abbreviated_title_typed_alone_is_where_to_deliver(
    dialogue_core: Core, address: str
) -> None:
    chat = await _chat(dialogue_core, "mala pepperoni i mala margherita", address)
    assert await _flow(chat) == "checkout"
    summary = await chat.say("Ola 600 100 200")
    assert address.split(",")[0] in summary.text


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["5 wod i mala margherita", "starcza 3 wody"], ["1 margherita small", "3 water"]),
        (["three cokes and a small hawaiian", "two cokes is enough"],
         ["1 hawaii small", "2 cola"]),
    ],
)  # fmt: skip
async def test_that_many_is_enough_sets_the_number(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("text", "cart"),
    [
        ("bez coli, ale poprosze srednia pepperoni i wode", ["1 pepperoni medium", "1 water"]),
        ("no garlic sauce please, just a large diavola and a lemonade",
         ["1 diavola large", "1 lemonade"]),
    ],
)  # fmt: skip
async def test_a_product_declined_beside_an_order_is_not_ordered(
    dialogue_core: Core, text: str, cart: list[str]
) -> None:
    assert (await talk(dialogue_core, text))["cart"] == cart


@pytest.mark.parametrize(
    "texts",
    [
        ["srednia diavola i cola", "usun cole", "to na razie wszystko"],
        ["a large hawaiian and a coke", "remove the coke", "all set"],
        ["2 male margherity i woda", "usun wode", "dostawa"],
        ["srednia wege", "koncze juz"],
        ["mala diavola i sok", "no to koncze"],
    ],
)
async def test_done_after_a_removal_or_in_words_of_parting_checks_out(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = await _chat(dialogue_core, *texts)
    assert await _flow(chat) == "checkout"
    assert (await end_state(chat))["cart"]  # the cart kept for the checkout


@pytest.mark.parametrize(
    "text",
    [
        "czekamy juz dwie godziny na dostawe, zenada",
        "we've been waiting over an hour for our food, this is ridiculous",
    ],
)
async def test_waiting_too_long_is_a_complaint_for_a_person(dialogue_core: Core, text: str) -> None:
    state = await talk(dialogue_core, text)
    assert state["conversation"] == "waiting_agent"
    assert state["cart"] == []

"""What round 7's held-out journeys taught, said in other words than theirs: coming for it
in person in another word order, the last address asked for as a place, a street with an
abbreviated title.

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

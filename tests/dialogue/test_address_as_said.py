"""An address is kept as the street it names, whatever leads up to it: said with the order
("z dostawą, adres ul. Tomasza 20, Kraków", "my address is 12 Baker Street") it is where the
order goes and is not asked for again; typed at the address
step after a preposition ("na Tomasza 20", "to 12 Baker Street") the order goes to the street
alone, not to "na Tomasza 20".

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the order it places.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import Chat

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def _placed(core: Core, *texts: str) -> tuple[Chat, list[str]]:
    """The customer says `texts`, then confirms paying cash; the bot's replies, in order."""
    chat, said = Chat(core), []
    for text in texts:
        said.append((await chat.say(text)).text)
    await chat.press("·")  # "Potwierdzam · gotówka" / "Confirm · cash"
    return chat, said


@pytest.mark.parametrize(
    ("texts", "address"),
    [
        (
            ["poproszę dużą margheritę z dostawą, adres ul. Tomasza 20, Kraków", "to wszystko",
             "Ala 600 111 224"],
            "ul. Tomasza 20, Kraków",
        ),
        (
            ["a large margherita delivered, address 12 Baker Street, Kraków", "that's all",
             "Ann 600 111 225"],
            "12 Baker Street, Kraków",
        ),
        (
            ["a large margherita delivered to 12 Baker Street, Kraków", "checkout",
             "Ann 600 111 225"],
            "12 Baker Street, Kraków",
        ),
        # No word of delivering: an address is given to be brought something.
        (
            ["poproszę dużą margheritę, adres ul. Tomasza 20, Kraków", "to wszystko",
             "Ala 600 111 224"],
            "ul. Tomasza 20, Kraków",
        ),
        (
            ["a large margherita, my address is 12 Baker Street, Krakow", "that's all",
             "Ann 600 111 225"],
            "12 Baker Street, Krakow",
        ),
    ],
)  # fmt: skip
async def test_an_address_said_with_the_order_is_where_it_goes_and_not_asked_again(
    dialogue_core: Core, texts: list[str], address: str
) -> None:
    chat, said = await _placed(dialogue_core, *texts)
    assert not any("menu" in reply.lower() for reply in said), said  # no "adres" not on it
    orders = await chat.orders()
    assert [(o.fulfilment, o.address) for o in orders] == [("delivery", address)]
    asked = ("adres dostawy", "delivery address")
    assert not any(a in reply.lower() for reply in said for a in asked), said


@pytest.mark.parametrize(
    ("texts", "address"),
    [
        (["duża margherita", "to wszystko", "dostawa", "na Tomasza 20", "Ala 600 111 224"],
         "Tomasza 20"),
        (["duża margherita", "to wszystko", "dostawa", "do Długiej 5, Kraków",
          "Ala 600 111 224"], "Długiej 5, Kraków"),
        (["a large margherita", "done", "delivery", "to 12 Baker Street", "Ann 600 111 225"],
         "12 Baker Street"),
        (["a large margherita", "done", "delivery", "at 12 Baker Street, Kraków",
          "Ann 600 111 225"], "12 Baker Street, Kraków"),
    ],
)  # fmt: skip
async def test_a_preposition_before_the_address_is_no_part_of_it(
    dialogue_core: Core, texts: list[str], address: str
) -> None:
    chat, _ = await _placed(dialogue_core, *texts)
    assert [o.address for o in await chat.orders()] == [address]

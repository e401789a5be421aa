"""What a customer notices when the bot reads a message too narrowly: a cart collected in the
shop told what delivery would cost.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by what the replies say and the state they leave.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying

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


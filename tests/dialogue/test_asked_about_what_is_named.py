"""A question about a street or an item the customer names is answered about that street or
item: whether the shop delivers there (judged as the checkout judges an address), not the
whole delivery area; whether that pizza is spicy or vegetarian, also asked in a second
question pointing back at it, not which pizzas are.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("czy dowozicie na Długą 5?", "Tak, pod adres „Długą 5” dowozimy"),
        ("a dowozicie na Szewską 8/2?", "Tak, pod adres „Szewską 8/2” dowozimy"),
        ("do you deliver to Długa 5?", "Yes, we deliver to “Długa 5”"),
        ("czy dowozicie na Długą 5, Wieliczka?", "Niestety nie dowozimy pod adres"),
        ("do you deliver to 12 Baker Street, Wieliczka?", "Sorry, we don't deliver to"),
    ],
)
async def test_a_street_asked_about_gets_a_yes_or_no_for_that_street(
    dialogue_core: Core, text: str, answer: str
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert chat.last is not None
    assert chat.last.text.startswith(answer), chat.last.text


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        # A second question pointing back at the item of the first: about that item.
        ("ile kosztuje margherita i czy jest ostra?", "Nie, Margherita nie jest ostra."),
        ("ile kosztuje diavola i czy jest ostra?", "Tak, Diavola jest ostra."),
        ("ile kosztuje hawajska? czy jest wegetariańska?", "Nie, Hawajska nie jest wegetariańska."),
        ("how much is the pepperoni and is it spicy?", "The Pepperoni isn't spicy as such"),
        ("what's in the hawaiian and is it vegetarian?", "No, the Hawaiian isn't vegetarian."),
        # Asked of the item by its name, the same answer.
        ("czy margherita jest ostra?", "Nie, Margherita nie jest ostra."),
        ("is the diavola spicy?", "Yes, the Diavola is spicy."),
    ],
)
async def test_a_question_about_an_item_named_is_answered_about_that_item(
    dialogue_core: Core, text: str, answer: str
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert chat.last is not None
    assert answer in chat.last.text, chat.last.text
    # Not the general list of which pizzas are spicy or meat-free.
    assert "Ostra jest Diavola" not in chat.last.text
    assert "Bez mięsa są" not in chat.last.text and "Meat-free:" not in chat.last.text

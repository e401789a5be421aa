"""A question about a street or an item the customer names is answered about that street or
item: whether the shop delivers there (judged as the checkout judges an address), not the
whole delivery area.

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

"""A kind the menu lacks, two things named alone, and delivery to one address, in other words
than the tests written with the fixes (run once, untuned, after they landed: 13/13).

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case a new customer.
"""

from __future__ import annotations

import re

import pytest

from bot.core import Core
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state, talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["poprosze lemoniade malinowa"], []),
        (["a raspberry lemonade please"], []),
        (["sok multiwitamina"], []),
        (["sok pomaranczowy"], ["1 orange-juice"]),
        (["mala margherita i lemoniada"], ["1 lemonade", "1 margherita small"]),
        (["duza pepperoni", "i lemoniade mietowa"], ["1 pepperoni large"]),
        (["sok i woda"], ["1 orange-juice", "1 water"]),
        (["water and a lemonade"], ["1 lemonade", "1 water"]),
        (["duza diavola", "i jeszcze cola i woda"], ["1 cola", "1 diavola large", "1 water"]),
        (["2 kole i mala hawajska"], ["1 hawaii small", "2 cola"]),
    ],
)
async def test_kinds_and_pairs(dialogue_core: Core, texts: list[str], cart: list[str]) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("czy dowozicie na ul. Karmelicką 10?", r"\b(tak|dowozimy|dowieziemy)\b"),
        ("do you deliver to Karmelicka 10?", r"\b(yes|we deliver|we do)\b"),
        ("dowozicie do Gdańska, Długa 5?", r"\b(nie|niestety)\b"),
    ],
)
async def test_delivery_to_an_address(dialogue_core: Core, text: str, answer: str) -> None:
    chat = Chat(dialogue_core)
    result = await chat.say(text)
    said = " ".join(r["text"] for r in result.replies).lower()
    assert re.search(answer, said), said
    assert (await end_state(chat))["cart"] == []

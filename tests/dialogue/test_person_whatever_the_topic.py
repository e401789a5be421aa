"""Asked in so many words to talk to a person, the customer gets one, whatever the topic the
rest of the sentence is about (allergens, a party, an order) and wherever the conversation
stands — at the order's summary too, where the words must not become the kitchen's note.

The real pipeline and the real NLU (tests/dialogue/conftest.py), judged by the state left.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.store.models import Order
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state

pytestmark = pytest.mark.asyncio(loop_scope="module")

AT_SUMMARY = {
    "pl": ["duza margherita", "to wszystko", "odbior osobisty", "Ola 600 111 301"],
    "en": ["a large margherita", "that's all", "pickup", "Ola 600 111 302"],
}


@pytest.mark.parametrize(
    ("lang", "asked"),
    [
        ("en", "actually I want to talk to a person about gluten free options for my "
               "daughter's birthday party"),
        ("pl", "wlasciwie chcialabym porozmawiac z kims o opcjach bezglutenowych na urodziny"),
    ],
)  # fmt: skip
async def test_a_person_asked_for_at_the_summary_is_called_and_no_order_placed(
    dialogue_core: Core, lang: str, asked: str
) -> None:
    chat = Chat(dialogue_core)
    for text in AT_SUMMARY[lang]:
        assert (await chat.say(text)).replies, f"no reply to {text!r}"
    assert (await chat.say(asked)).replies
    state = await end_state(chat)
    assert state["conversation"] == "waiting_agent"
    assert state["cart"] == ["1 margherita large"]  # kept for when the person has answered
    async with dialogue_core.sessions() as s:
        orders = list(await s.scalars(select(Order).where(Order.customer_id == chat.customer_id)))
    assert orders == []


@pytest.mark.parametrize(
    "texts",
    [
        ["mala pepperoni", "moge pogadac z kims z obslugi o alergenach w sosach?"],
        [
            "a small pepperoni",
            "can I speak to someone from your staff about allergens in the sauces",
        ],
    ],
)
async def test_a_person_asked_for_about_a_topic_mid_order_is_called(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        assert (await chat.say(text)).replies, f"no reply to {text!r}"
    state = await end_state(chat)
    assert state["conversation"] == "waiting_agent"
    assert state["cart"] == ["1 pepperoni small"]

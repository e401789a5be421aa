"""Customers changing course in their own words: giving up on the cart, naming what an item
goes with, finishing while a size is asked, ordering again after emptying the cart, telling
what went wrong with an order, an address said with the order without a word of delivering.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the state it leaves.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.dialogue.checkout import way_in_text
from bot.store import repo
from bot.store.models import DialogueState
from tests.dialogue.chat import Chat
from tests.dialogue.test_two_things_at_once import play_on
from tests.dialogue.test_understanding import end_state, talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["2 male pepperoni", "dobra, odpuszczam", "tak"], []),
        (["2 male pepperoni", "dobra, odpuszczam", "nie"], ["2 pepperoni small"]),
        (["a large diavola", "never mind, forget it", "yes"], []),
    ],
)
async def test_giving_up_in_own_words_empties_the_cart_after_a_yes(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["srednia margherita", "i sos czosnkowy do tej margherity"],
         ["1 garlic-sauce", "1 margherita medium"]),
        (["a large pepperoni", "and a coke for that pepperoni"], ["1 cola", "1 pepperoni large"]),
    ],
)  # fmt: skip
async def test_what_an_item_goes_with_is_not_ordered_again(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        await chat.say(text)
    assert chat.customer_id is not None
    async with dialogue_core.sessions() as s:
        state = await repo.dialogue_state_of(s, chat.customer_id)
    assert state.flow is None  # no size asked for a second pizza
    assert (await end_state(chat))["cart"] == cart


async def test_done_while_a_size_is_asked_leaves_that_item_out_and_checks_out(
    dialogue_core: Core,
) -> None:
    chat = Chat(dialogue_core)
    await chat.say("poprosze hawajska i cole")  # which size of the Hawaiian?
    result = await chat.say("to wszystko")
    assert "Hawajska" in result.text  # said that it is left out
    assert chat.customer_id is not None
    async with dialogue_core.sessions() as s:
        state = await repo.dialogue_state_of(s, chat.customer_id)
        assert state.flow == "checkout"
    assert (await end_state(chat))["cart"] == ["1 cola"]


@pytest.mark.parametrize(
    "texts",
    [
        ["3 cole", "wyczysc koszyk", "tak", "jednak duza diavola"],
        ["two cokes", "empty my cart", "yes", "actually a small margherita instead"],
    ],
)
async def test_a_correction_with_nothing_in_the_cart_orders_what_it_names(
    dialogue_core: Core, texts: list[str]
) -> None:
    cart = (await talk(dialogue_core, *texts))["cart"]
    assert cart in (["1 diavola large"], ["1 margherita small"])


@pytest.mark.parametrize(
    "text",
    [
        "dostalam margherite zimna jak lod, skandal",
        "we ordered a large pepperoni and it arrived cold, not happy at all",
    ],
)
async def test_a_complaint_told_as_what_happened_goes_to_a_person(
    dialogue_core: Core, text: str
) -> None:
    state = await talk(dialogue_core, text)
    assert state["conversation"] == "waiting_agent"
    assert state["cart"] == []


@pytest.mark.parametrize(
    ("order", "done", "address"),
    [
        ("2 small margheritas to Dietla 50, Krakow", "that's all", "Dietla 50, Krakow"),
        ("mala pepperoni na Lubicz 4/2, Krakow", "to wszystko", "Lubicz 4/2, Krakow"),
    ],
)
async def test_an_address_said_with_the_order_is_delivery_there(
    dialogue_core: Core, order: str, done: str, address: str
) -> None:
    chat = Chat(dialogue_core)
    await chat.say(order)
    await chat.say(done)
    assert chat.customer_id is not None
    async with dialogue_core.sessions() as s:
        state = await repo.dialogue_state_of(s, chat.customer_id)
    slots = state.slots or {}
    assert state.flow == "checkout"
    assert (slots.get("fulfilment"), slots.get("address")) == ("delivery", address), slots


async def test_a_door_note_with_numbers_is_no_address() -> None:
    assert way_in_text("kod do domofonu na klatce 3, mieszkanie 12") is None
    assert way_in_text("leave it to door 4, flat 2b") is None


async def step_of(chat: Chat) -> str | None:
    async with chat.core.sessions() as s:
        state = await s.get(DialogueState, chat.customer_id)
        return state.step if state else None


@pytest.mark.parametrize(
    ("texts", "again"),
    [
        (["duza margherita", "zamawiam", "dowoz"], ["z dowozem", "Dluga"]),
        (["duża margherita", "zamawiam", "dostawa"], ["z dostawą", "Długa"]),
        (["a large margherita", "checkout", "delivery"], ["with delivery", "Main street"]),
    ],
)
async def test_at_the_address_question_the_way_again_or_half_an_address_gets_one_reply(
    dialogue_core: Core, texts: list[str], again: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for n, text in enumerate([*texts, *again]):
        result = await chat.say(text)
        if n >= len(texts):
            # One reply: the address asked again (or what it lacks), not a hint and the question.
            assert len(result.replies) == 1, result.text
        if n >= len(texts) - 1:
            assert await step_of(chat) == "address"
    await chat.say("ul. Długa 5, Kraków")
    assert await step_of(chat) == "name"


@pytest.mark.parametrize(
    ("texts", "asked_again"),
    [
        (["poproszę pepperoni", "i zmien na odbior osobisty"], "Jaki rozmiar Pepperoni"),
        (["English please", "I'd like a pepperoni", "and change the delivery to pickup"],
         "Which size of Pepperoni"),
    ],
)  # fmt: skip
async def test_the_way_chosen_while_the_size_is_asked_is_kept_and_the_size_asked_again(
    dialogue_core: Core, texts: list[str], asked_again: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        result = await chat.say(text)
    assert result.intent != "nlu_fallback", result.text
    assert "Józefa 12" in result.text  # the pickup said back, with where
    assert asked_again in result.replies[-1]["text"]  # and the size still asked
    await chat.press("32 cm")
    checkout = await chat.say("zamawiam" if texts[0].startswith("p") else "checkout")
    assert not any("delivery" in b["payload"] for b in checkout.buttons), checkout.text
    await chat.say("Anna, 601 234 567")
    await chat.say("potwierdzam, gotówką" if texts[0].startswith("p") else "confirm, cash")
    orders = await chat.orders()
    assert [(o.fulfilment, o.total) for o in orders] == [("pickup", 3690)]


@pytest.mark.parametrize(
    ("texts", "way"),
    [
        (["duża margherita", "a jednak chcialbym zmienic na odbior osobisty", "zamawiam",
          "Anna, 601 234 567"], "pickup"),
        (["English please", "a large margherita", "checkout", "delivery",
          "12 Baker Street, Krakow", "Tom, 601 234 567", "change the delivery to pickup"],
         "pickup"),
        (["2 duże pepperoni", "zamawiam", "odbiór", "Anna, 601 234 567",
          "zmień odbiór na dostawę na Dietla 50, Kraków"], "delivery"),
    ],
)  # fmt: skip
async def test_changing_the_way_in_words_changes_the_orders_way(
    dialogue_core: Core, texts: list[str], way: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        result = await chat.say(text)
        assert result.intent != "nlu_fallback" or "?" in result.text, (text, result.text)
    await chat.press("gotów" if texts[0] != "English please" else "cash")
    orders = await chat.orders()
    assert [o.fulfilment for o in orders] == [way], result.text


@pytest.mark.parametrize(
    ("texts", "said_back"),
    [
        (["duża margherita", "z dostawą na ul. Długa 12/3, Kraków", "a jednak odbiorę osobiście"],
         "Józefa 12"),
        (["a large margherita", "delivery to Long Street 12, Krakow", "actually I'll pick it up"],
         "Józefa 12"),
        (["duża margherita", "zamawiam", "odbiór", "jednak z dostawą na Dietla 50, Kraków"],
         "Dietla 50"),
    ],
)  # fmt: skip
async def test_the_way_changed_where_the_contact_is_asked_is_said_back_before_it(
    dialogue_core: Core, texts: list[str], said_back: str
) -> None:
    chat = Chat(dialogue_core)
    result = await play_on(chat, *texts)
    assert said_back in result.replies[0]["text"], result.text  # the new way, said back
    assert await step_of(chat) == "name"  # and the contact still asked for
    await play_on(chat, "Kasia, 600 123 456", "gotówka" if texts[0][0] == "d" else "cash")
    way = "delivery" if "Dietla" in said_back else "pickup"
    assert [o.fulfilment for o in await chat.orders()] == [way], result.text

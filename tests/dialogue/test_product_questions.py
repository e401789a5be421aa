"""A customer asks about a product or a part of the menu, first thing or mid-conversation:
they get the product's card (its price and an Add button) or the category's list, never
"shall I ask a person?" and never a placeholder where a description is missing.

Through the real pipeline and NLU (tests/dialogue/conftest.py); each case a new customer.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.store.models import Customer, Order, OrderItem
from tests.dialogue.chat import Chat
from tests.dialogue.test_understanding import end_state

pytestmark = pytest.mark.asyncio(loop_scope="module")

ADD_COLA = '/add_to_cart{"product": "cola"}'


async def last_reply(core: Core, *texts: str) -> tuple[str, list[str]]:
    chat = Chat(core)
    for text in texts:
        result = await chat.say(text)
    return result.text, [b["payload"] for b in result.buttons]


@pytest.mark.parametrize(
    ("texts", "price"),
    [
        (["czy macie colę?"], "7,90 zł"),
        (["cześć", "czy macie colę?"], "7,90 zł"),
        (["do you have cola?"], "PLN 7.90"),
        (["hi", "do you have cola?"], "PLN 7.90"),
    ],
)
async def test_asking_whether_the_shop_has_a_product_shows_its_card(
    dialogue_core: Core, texts: list[str], price: str
) -> None:
    text, payloads = await last_reply(dialogue_core, *texts)
    assert price in text
    assert ADD_COLA in payloads
    assert not any("handoff" in p for p in payloads)  # no "shall I ask a person?"


@pytest.mark.parametrize("question", ["czy macie colę?", "do you have cola?"])
async def test_a_product_without_a_description_is_named_without_a_placeholder(
    dialogue_core: Core, question: str
) -> None:
    text, _ = await last_reply(dialogue_core, question)
    first_line = text.splitlines()[0]
    assert first_line in ("Cola 0,5 l", "Cola 0.5 l")  # named, not "Cola 0,5 l: —."


@pytest.mark.parametrize(
    ("texts", "products"),
    [
        (["napoje"], {"cola", "lemonade", "water", "orange-juice"}),
        (["Sosy?"], {"garlic-sauce", "tomato-sauce", "bbq-sauce"}),
        (["menu", "sosy"], {"garlic-sauce", "tomato-sauce", "bbq-sauce"}),
        (["drinks"], {"cola", "lemonade", "water", "orange-juice"}),
    ],
)
async def test_a_category_typed_alone_lists_it(
    dialogue_core: Core, texts: list[str], products: set[str]
) -> None:
    _, payloads = await last_reply(dialogue_core, *texts)
    offered = {p.split('"product": "')[1].split('"')[0] for p in payloads if "add_to_cart" in p}
    assert offered == products


ADD = '/add_to_cart{"product": '


@pytest.mark.parametrize(
    "question", ["co polecacie?", "Co polecacie", "co możecie polecić?", "what do you recommend?"]
)
async def test_asked_for_a_recommendation_the_bot_names_products_to_add(
    dialogue_core: Core, question: str
) -> None:
    text, payloads = await last_reply(dialogue_core, question)
    added = [p for p in payloads if p.startswith(ADD)]
    assert len(added) == 3, (text, payloads)
    assert not any(p.startswith("/browse_menu") for p in payloads), payloads  # no categories


async def test_the_recommendation_starts_with_what_customers_order_most(
    dialogue_core: Core,
) -> None:
    async with dialogue_core.sessions() as s:
        someone = Customer(language="pl")
        s.add(someone)
        await s.flush()
        s.add(
            Order(
                number=f"PZ-{80000 + someone.id % 10000:05d}",
                customer_id=someone.id,
                status="completed",
                fulfilment="pickup",
                subtotal=50 * 2990,
                total=50 * 2990,
                items=[
                    OrderItem(
                        product_id="quattro-formaggi",
                        name="Quattro Formaggi",
                        size="small",
                        quantity=50,
                        unit_price=2990,
                    )
                ],
            )
        )
        await s.commit()
    _, payloads = await last_reply(dialogue_core, "co polecacie?")
    assert payloads[0] == ADD + '"quattro-formaggi"}', payloads


@pytest.mark.parametrize(
    ("texts", "allergen", "size"),
    [
        (["poprosze hawajska i 2 cole", "czy hawajska ma laktoze?"], "mleko", "średnia"),
        (["poproszę hawajską", "czy w hawajskiej jest laktoza?"], "mleko", "duża"),
        (["a hawaiian and a coke please", "does the hawaiian have lactose?"], "milk", "medium"),
    ],
)  # fmt: skip
async def test_a_product_asked_about_while_its_size_is_asked_is_answered_then_the_size(
    dialogue_core: Core, texts: list[str], allergen: str, size: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        result = await chat.say(text)
    assert allergen in result.replies[0]["text"].lower(), result.text  # its card, allergens
    assert "Hawa" in result.replies[-1]["text"]  # and its size asked again
    await chat.say(size)
    size = {"średnia": "medium", "duża": "large"}.get(size, size)
    assert f"1 hawaii {size}" in (await end_state(chat))["cart"]

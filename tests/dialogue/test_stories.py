"""YAML stories: customer line → expected intent / action / reply fragment, through Core.receive.

Each story is one new customer. A step is one of
  user: text | press: button title fragment | payload: "/intent{...}"
  advance: status      (the shop moves the customer's last order on; notifies)
  foreign_order: true  (another customer places an order; its number is $other)
with optional expectations: intent, action, reply / no_reply (fragments; a list = all),
buttons (title fragments), lang, order (fields of the customer's last order), orders (count).
$order in a step stands for the customer's last order number, $other for the foreign one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core import Core
from bot.order_board import advance_order
from bot.store.models import Customer, Order, OrderItem
from tests.dialogue.chat import Chat, TurnResult

pytestmark = pytest.mark.asyncio(loop_scope="module")

STORIES = sorted((Path(__file__).parent / "stories").glob("*.yaml"))


def load_stories() -> list[Any]:
    params = []
    for path in STORIES:
        for story in yaml.safe_load(path.read_text(encoding="utf-8"))["stories"]:
            params.append(pytest.param(story, id=f"{path.stem}: {story['story']}"))
    return params


def as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


async def foreign_order(core: Core) -> str:
    """An order of somebody else, for guessing its number."""
    async with core.sessions() as s:
        other = Customer(language="pl")
        s.add(other)
        await s.flush()
        order = Order(
            number=f"PZ-{90000 + other.id % 10000:05d}",
            customer_id=other.id,
            status="new",
            fulfilment="pickup",
            contact_name="Ktoś Inny",
            contact_phone="+48500500500",
            subtotal=3990,
            total=3990,
            items=[
                OrderItem(
                    product_id="margherita",
                    name="Margherita",
                    size="large",
                    quantity=1,
                    unit_price=3990,
                )
            ],
        )
        s.add(order)
        await s.commit()
        return order.number


@pytest.mark.parametrize("story", load_stories())
async def test_story(dialogue_core: Core, story: dict[str, Any]) -> None:
    chat = Chat(dialogue_core)
    variables: dict[str, str] = {}
    for n, step in enumerate(story["steps"], 1):
        where = f"{story['story']} — step {n}: {step}"
        orders = await chat.orders() if chat.customer_id else []
        if orders:
            variables["$order"] = orders[-1].number

        def fill(text: str) -> str:
            for k, v in variables.items():
                text = text.replace(k, v)
            return text

        result: TurnResult | None = None
        if "user" in step:
            result = await chat.say(fill(str(step["user"])))
        elif "press" in step:
            result = await chat.press(fill(str(step["press"])))
        elif "payload" in step:
            result = await chat.payload(fill(str(step["payload"])))
        elif "advance" in step:
            assert orders, where
            await advance_order(dialogue_core, orders[-1].number, str(step["advance"]))
            continue
        elif "foreign_order" in step:
            variables["$other"] = await foreign_order(dialogue_core)
            continue
        assert result is not None, where
        detail = f"{where}\n  intent={result.intent} actions={result.actions}\n  replies:\n{result.text}\n  buttons={[b['title'] for b in result.buttons]}"  # noqa: E501

        def check(ok: bool, what: str, detail: str = detail) -> None:
            if not ok:
                pytest.fail(f"{what}\n{detail}", pytrace=False)

        if "intent" in step:
            check(result.intent == step["intent"], f"intent is not {step['intent']}")
        if "action" in step:
            check(set(as_list(step["action"])) <= set(result.actions), "action did not run")
        for fragment in as_list(step.get("reply", [])):
            check(fill(fragment).lower() in result.text.lower(), f"no {fill(fragment)!r}")
        for fragment in as_list(step.get("no_reply", [])):
            check(fill(fragment).lower() not in result.text.lower(), f"{fill(fragment)!r}")
        titles = [b["title"].lower() for b in result.buttons]
        for fragment in as_list(step.get("buttons", [])):
            check(any(fragment.lower() in t for t in titles), f"no button {fragment!r}")
        if "lang" in step:
            language = (await chat.customer()).language
            check(language == step["lang"], f"language is {language}")
        if "orders" in step:
            check(len(await chat.orders()) == step["orders"], "number of orders")
        if "order" in step:
            last = (await chat.orders())[-1]
            for key, value in step["order"].items():
                check(getattr(last, key) == value, f"order.{key}={getattr(last, key)!r}")

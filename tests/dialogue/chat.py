"""A customer talking to the core as a channel would, with what each turn did."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.core import Core
from bot.messages import InboundMessage
from bot.store.models import Customer, Event, Order

_ids = itertools.count(1)


@dataclass
class TurnResult:
    replies: list[dict[str, Any]]
    intent: str | None
    actions: list[str]

    @property
    def text(self) -> str:
        return "\n".join(r["text"] for r in self.replies)

    @property
    def buttons(self) -> list[dict[str, str]]:
        return [b for r in self.replies for b in r["buttons"]]


@dataclass
class Chat:
    core: Core
    address: str = field(default_factory=lambda: f"customer-{next(_ids)}")
    channel: str = "test"
    customer_id: int | None = None
    last: TurnResult | None = None

    async def say(self, text: str) -> TurnResult:
        inbound = InboundMessage(channel=self.channel, address=self.address, text=text)
        return await self._send(inbound)

    async def press(self, title: str) -> TurnResult:
        """Press the button of the last replies whose title contains `title`."""
        assert self.last is not None, "no buttons yet"
        button = next((b for b in self.last.buttons if title.lower() in b["title"].lower()), None)
        assert button is not None, f"no button {title!r} in {self.last.buttons}"
        return await self.payload(button["payload"], button["title"])

    async def payload(self, payload: str, title: str = "") -> TurnResult:
        inbound = InboundMessage(
            channel=self.channel, address=self.address, text=title, payload=payload
        )
        return await self._send(inbound)

    async def _send(self, inbound: InboundMessage) -> TurnResult:
        last_event = await self._last_event_id()
        receipt = await self.core.receive(inbound)
        self.customer_id = receipt.customer_id
        async with self.core.sessions() as s:
            events = list(
                await s.scalars(
                    select(Event).where(
                        Event.customer_id == receipt.customer_id, Event.id > last_event
                    )
                )
            )
        intent = next(((e.data or {}).get("intent") for e in events if e.kind == "intent"), None)
        actions = [str((e.data or {}).get("name")) for e in events if e.kind == "action"]
        self.last = TurnResult(receipt.replies, intent, actions)
        return self.last

    async def _last_event_id(self) -> int:
        async with self.core.sessions() as s:
            return int(await s.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0)

    async def customer(self) -> Customer:
        assert self.customer_id is not None
        async with self.core.sessions() as s:
            customer = await s.get(Customer, self.customer_id)
            assert customer is not None
            return customer

    async def orders(self) -> list[Order]:
        async with self.core.sessions() as s:
            rows = await s.scalars(
                select(Order).where(Order.customer_id == self.customer_id).order_by(Order.id)
            )
            return list(rows)


async def chat_saying(core: Core, *texts: str) -> Chat:
    """A new customer who has said `texts`, each answered."""
    chat = Chat(core)
    for text in texts:
        assert (await chat.say(text)).replies, f"no reply to {text!r}"
    return chat


async def orders_of(chat: Chat) -> list[Order]:
    """The customer's orders, newest first."""
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        return list(
            await s.scalars(
                select(Order).where(Order.customer_id == chat.customer_id).order_by(Order.id.desc())
            )
        )

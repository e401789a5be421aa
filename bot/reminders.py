"""Abandoned-cart reminders: one per abandoned cart, in the last active channel, in hours."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update

from bot.core import Core
from bot.dialogue.turn import payload_for
from bot.domain.handoff import AGENT_STATES, SupportHours
from bot.domain.pricing import unit_price
from bot.messages import Button
from bot.store.models import Cart, CartItem, Conversation, Customer, utcnow
from bot.tasks import cancel_and_wait
from knowledge.catalog import format_price

log = logging.getLogger(__name__)


class CartReminders:
    def __init__(self, core: Core) -> None:
        self.core = core
        settings = core.settings
        self.after = timedelta(minutes=settings.cart_reminder_minutes)
        start, _, end = settings.reminder_hours.partition("-")
        self.hours = SupportHours.from_text(start, end, settings.support_timezone)
        self._task: asyncio.Task[None] | None = None

    async def run_once(self, now: datetime | None = None) -> int:
        """Send the reminders that are due; returns how many carts were reminded."""
        now = now or utcnow()
        if not self.hours.open_at(now):
            return 0  # quiet hours: the next pass inside the window sends them
        cutoff = now - self.after
        async with self.core.sessions() as session:
            due = (
                await session.execute(
                    select(Cart.id, Cart.customer_id)
                    .join(Customer, Customer.id == Cart.customer_id)
                    .join(Conversation, Conversation.customer_id == Customer.id)
                    .where(
                        Customer.merged_into_id.is_(None),
                        Customer.seen_at <= cutoff,
                        or_(Cart.reminded_at.is_(None), Cart.reminded_at < Customer.seen_at),
                        Conversation.status.not_in(AGENT_STATES),
                        exists().where(CartItem.cart_id == Cart.id),
                    )
                    .limit(200)
                )
            ).all()
        sent = 0
        for cart_id, customer_id in due:
            try:
                if await self._remind(cart_id, customer_id, now):
                    sent += 1
            except Exception:
                # One cart that cannot be reminded must not cost the others theirs.
                log.exception("cart reminder for customer %s failed", customer_id)
        return sent

    async def _remind(self, cart_id: int, customer_id: int, now: datetime) -> bool:
        async with self.core.sessions() as session:
            # Claim it first: with several instances, one reminder per cart.
            result = await session.execute(
                update(Cart)
                .where(
                    Cart.id == cart_id,
                    or_(Cart.reminded_at.is_(None), Cart.reminded_at <= now - self.after),
                )
                .values(reminded_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            if (getattr(result, "rowcount", 0) or 0) != 1:
                return False
            customer = await session.get(Customer, customer_id)
            items = list(await session.scalars(select(CartItem).where(CartItem.cart_id == cart_id)))
        assert customer is not None
        lang = customer.language or self.core.settings.default_language
        engine = self.core.dialogue
        lines = self._orderable(customer_id, items)
        if not lines:
            log.info(
                "no cart reminder for customer %s: nothing in the cart is sold now", customer_id
            )
            return False
        text = engine.responses.render(
            "cart_reminder",
            lang,
            n=sum(quantity for _, quantity in lines),
            total=format_price(sum(price * quantity for price, quantity in lines), lang),
        )
        buttons = [
            Button(engine.responses.render("btn_checkout", lang), payload_for("checkout")),
            Button(engine.responses.render("btn_cart", lang), payload_for("show_cart")),
        ]
        message = await self.core.send_proactive(customer_id, text, buttons)
        log.info(
            "cart reminder for customer %s: %s",
            customer_id,
            message["channel"] if message else "nowhere",
        )
        return True

    def _orderable(self, customer_id: int, items: list[CartItem]) -> list[tuple[int, int]]:
        """(unit price, quantity) of the lines the catalog still sells; the rest are logged.

        The operator may remove a product or a size while it sits in a cart; the reminder
        speaks of what can still be ordered.
        """
        lines = []
        for item in items:
            price = unit_price(self.core.dialogue.catalog, item.product_id, item.size)
            if price is None:
                log.warning(
                    "cart reminder for customer %s skipped %s (size %s): no longer sold",
                    customer_id,
                    item.product_id,
                    item.size,
                )
                continue
            lines.append((price, item.quantity))
        return lines

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _loop(self) -> None:
        while True:
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cart reminder pass failed")
            await asyncio.sleep(60)

"""The kitchen's side of an order: moving it along and telling the customer, once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from bot.core import Core
from bot.domain.order_status import InvalidTransition, UnknownOrder, check_transition, next_status
from bot.orders import order_object, rating_buttons, with_items
from bot.store import repo
from bot.store.models import Order, utcnow


async def advance_order(core: Core, number: str, status: str | None = None) -> dict[str, Any]:
    """Move an order to its next (or the given) status and tell the customer once.

    Raises UnknownOrder, UnknownStatus or InvalidTransition.
    """
    responses = core.dialogue.responses
    async with core.sessions() as session:
        order = await session.scalar(
            select(Order).where(Order.number == number.strip().upper()).options(with_items())
        )
        if order is None:
            raise UnknownOrder(f"no order {number}")
        target = status or next_status(order)
        if target is None:
            raise InvalidTransition(f"order {order.number} is already {order.status}")
        check_transition(order, target)
        # Compare-and-set: of two concurrent calls only one moves the order (and notifies).
        result = await session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status == order.status)
            .values(status=target, updated_at=utcnow())
        )
        if (getattr(result, "rowcount", 0) or 0) != 1:
            raise InvalidTransition(f"order {order.number} was changed at the same time")
        customer = await repo.live_customer(session, order.customer_id)
        assert customer is not None
        lang = customer.language or core.settings.default_language
        text = responses.render(
            f"notify_{target}",
            lang,
            number=order.number,
            name=f" {order.contact_name}" if order.contact_name else "",
        )
        # Rating buttons, in order, so that an SMS "5" answers the rating question too.
        buttons = rating_buttons(order.number) if target == "completed" else []
        # The status and its notification are stored together (the transactional outbox).
        notice = await core.outbox.stage_proactive(session, customer.id, text, buttons)
        await session.commit()
        await session.refresh(order)
        obj = order_object(order)
    if notice is not None and notice.delivery_status == "pending":
        await core.deliver([notice.id])
    return obj

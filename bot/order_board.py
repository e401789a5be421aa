"""The kitchen's side of an order: moving it along and telling the customer, once.

Every change is a step of the order's history (who, when, the time given, the reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Core
from bot.domain.order_status import (
    OPEN,
    REASON_CODES,
    InvalidTransition,
    UnknownOrder,
    already,
    check_change,
    check_transition,
    next_status,
)
from bot.hub import ORDERS_TOPIC
from bot.messages import Button
from bot.orders import order_object, rating_buttons, with_items
from bot.store import repo
from bot.store.models import Order, OrderStatusChange, User, utcnow


@dataclass(frozen=True)
class StatusChange:
    """What staff (or the CLI) asked for: a status (None: the next one), a time, a reason."""

    status: str | None = None
    eta_minutes: int | None = None
    reason: str | None = None
    user: User | None = None


async def _order_numbered(session: AsyncSession, number: str, *options: Any) -> Order:
    """The order of that number (as typed: spaces, lower case); UnknownOrder when none."""
    order = await session.scalar(
        select(Order).where(Order.number == number.strip().upper()).options(*options)
    )
    if order is None:
        raise UnknownOrder(f"no order {number}", "no_order", number=number[:32])
    return order


async def advance_order(
    core: Core, number: str, status: str | None = None, change: StatusChange | None = None
) -> dict[str, Any]:
    """Move an order to its next (or the given) status and tell the customer once.

    Raises UnknownOrder, UnknownStatus, InvalidTransition or InvalidChange.
    """
    change = change or StatusChange(status)
    status = status or change.status
    async with core.sessions() as session:
        order = await _order_numbered(session, number, with_items())
        target = status or next_status(order)
        if target is None:
            raise already(order)
        check_transition(order, target)
        check_change(target, change.eta_minutes, change.reason)
        now = utcnow()
        values: dict[str, Any] = {"status": target, "updated_at": now}
        if change.eta_minutes is not None:
            values["ready_at"] = now + timedelta(minutes=change.eta_minutes)
        if change.reason:
            values["status_reason"] = change.reason.strip()[:300]
        # Compare-and-set: of two concurrent calls only one moves the order (and notifies).
        # The status it leaves is read first: the update moves the loaded order along too.
        previous = order.status
        result = await session.execute(
            update(Order).where(Order.id == order.id, Order.status == previous).values(**values)
        )
        if (getattr(result, "rowcount", 0) or 0) != 1:
            raise InvalidTransition(
                f"order {order.number} was changed at the same time",
                "order_changed",
                number=order.number,
            )
        session.add(
            OrderStatusChange(
                order_id=order.id,
                status=target,
                previous=previous,
                user_id=change.user.id if change.user else None,
                actor=change.user.email if change.user else "system",
                eta_minutes=change.eta_minutes,
                reason=values.get("status_reason"),
                created_at=now,
            )
        )
        await session.flush()
        await session.refresh(order)
        customer = await repo.live_customer(session, order.customer_id)
        assert customer is not None
        lang = customer.language or core.settings.default_language
        text, buttons = status_notice(core, order, lang)
        # The status and its notification are stored together (the transactional outbox);
        # its buttons (rating stars) become the options an SMS "5" may pick.
        notice = await core.outbox.stage_proactive(session, customer.id, text, buttons)
        await session.commit()
        await session.refresh(order)
        obj = order_object(order)
    await core.hub.publish(ORDERS_TOPIC, {"type": "order", "number": obj["number"]})
    if notice is not None and notice.delivery_status == "pending":
        await core.deliver([notice.id])
    return obj


async def note_for_kitchen(core: Core, number: str, text: str, user: User) -> None:
    """A change agreed with the customer after ordering ("+ garlic sauce", "ring twice"),
    added to an open order's note: the board shows it live, the ticket prints it. A step
    of the history (status unchanged) says who added what. The customer is not told (the
    agent who agreed it is talking to them).

    Raises UnknownOrder, or InvalidTransition for an order already finished."""
    async with core.sessions() as session:
        order = await _order_numbered(session, number)
        if order.status not in OPEN:
            raise already(order)
        text = text.strip()
        order.note = f"{order.note}\n{text}" if order.note else text
        session.add(
            OrderStatusChange(
                order_id=order.id,
                status=order.status,
                previous=order.status,
                user_id=user.id,
                actor=user.email,
                reason=text,
                created_at=utcnow(),
            )
        )
        await session.commit()
    await core.hub.publish(ORDERS_TOPIC, {"type": "order", "number": order.number})


def status_notice(core: Core, order: Order, lang: str) -> tuple[str, list[Button]]:
    """What the customer is told about the order's new status, in their language."""
    responses = core.dialogue.responses
    values: dict[str, Any] = {
        "number": order.number,
        "name": f" {order.contact_name}" if order.contact_name else "",
    }
    key = f"notify_{order.status}"
    buttons: list[Button] = []
    if order.status == "confirmed" and order.ready_at is not None:
        key = f"notify_confirmed_{order.fulfilment}_eta"
        values["time"] = f"{core.dialogue.catalog.facts.local(order.ready_at):%H:%M}"
    elif order.status == "rejected":
        reason = order.status_reason or ""
        if reason in REASON_CODES:
            reason = responses.render(f"reason_{reason}", lang)
        values["reason"] = reason
        buttons = [Button(responses.render("btn_human", lang), "/human_handoff")]
    elif order.status == "completed":
        buttons = rating_buttons(order.number)
    return responses.render(key, lang, **values), buttons

"""The order lifecycle: placing an order from the cart, numbers, statuses, notifications.

new → confirmed → preparing → out_for_delivery | ready_for_pickup → completed, or cancelled;
the shop may reject an order (with a reason) before it is being prepared. Customers may
cancel while an order is new or confirmed; staff may cancel until it is done. Every change
is a step of the order's history (who, when, the time given, the reason).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.hub import ORDERS_TOPIC
from bot.messages import Button
from bot.store import repo
from bot.store.models import Cart, Customer, Order, OrderItem, OrderStatusChange, User, utcnow
from knowledge.catalog import Catalog

if TYPE_CHECKING:
    from bot.core import Core

STATUSES = (
    "new",
    "confirmed",
    "preparing",
    "out_for_delivery",
    "ready_for_pickup",
    "completed",
    "cancelled",
    "rejected",
)
FINAL = frozenset({"completed", "cancelled", "rejected"})
CUSTOMER_CANCELLABLE = frozenset({"new", "confirmed"})
REJECTABLE = frozenset({"new", "confirmed"})
# Reasons the board offers; the customer hears each in their own language.
REASON_CODES = ("ingredient", "too_far", "closed", "busy")
MAX_ETA_MINUTES = 480
ACTIVE = frozenset(STATUSES) - FINAL
NUMBER_PREFIX = "PZ-"
NUMBER_ATTEMPTS = 20


class OrderError(Exception):
    """Something about an order a caller asked for that cannot be done; the message says why."""


class UnknownOrder(OrderError):
    pass


class UnknownStatus(OrderError):
    pass


class InvalidTransition(OrderError):
    pass


class InvalidChange(OrderError):
    """A time or reason that does not fit the change (e.g. rejecting without a reason)."""


def path_of(fulfilment: str) -> list[str]:
    """The statuses an order goes through, in order, for its way of fulfilment."""
    last_mile = "ready_for_pickup" if fulfilment == "pickup" else "out_for_delivery"
    return ["new", "confirmed", "preparing", last_mile, "completed"]


def next_status(order: Order) -> str | None:
    path = path_of(order.fulfilment)
    if order.status not in path or order.status == "completed":
        return None
    return path[path.index(order.status) + 1]


def check_transition(order: Order, target: str) -> None:
    """Raise unless `target` is a valid next status (forward along the path, or cancel)."""
    if target not in STATUSES:
        raise UnknownStatus(f"unknown status {target!r}; one of: {', '.join(STATUSES)}")
    if order.status in FINAL:
        raise InvalidTransition(f"order {order.number} is already {order.status}")
    if target == order.status:
        raise InvalidTransition(f"order {order.number} is already {target}")
    if target == "cancelled":
        return
    if target == "rejected":
        if order.status not in REJECTABLE:
            raise InvalidTransition(f"order {order.number} is {order.status}: too late to reject")
        return
    path = path_of(order.fulfilment)
    if target not in path:
        raise InvalidTransition(f"{target} does not apply to a {order.fulfilment} order")
    if path.index(target) < path.index(order.status):
        raise InvalidTransition(f"order {order.number} cannot go back from {order.status}")


@dataclass(frozen=True)
class Quote:
    """What an order of these lines costs now, in grosze."""

    subtotal: int
    delivery_fee: int
    missing_for_minimum: int  # > 0: a delivery order below the minimum value

    @property
    def total(self) -> int:
        return self.subtotal + self.delivery_fee


def quote(catalog: Catalog, subtotal: int, fulfilment: str | None) -> Quote:
    """Delivery fee and minimum order value from the catalog's shop settings."""
    if fulfilment != "delivery":
        return Quote(subtotal, 0, 0)
    free_from = catalog.free_delivery_from
    fee = 0 if free_from and subtotal >= free_from else catalog.delivery_fee
    return Quote(subtotal, fee, max(0, catalog.min_order_value - subtotal))


def unit_price(catalog: Catalog, product_id: str, size: str | None) -> int | None:
    product = catalog.products.get(product_id)
    if product is None or not product.available:
        return None
    try:
        return product.price(size)
    except KeyError:
        return None


async def place_order(
    session: AsyncSession,
    catalog: Catalog,
    customer: Customer,
    cart: Cart,
    *,
    fulfilment: str,
    address: str | None,
    name: str,
    phone: str,
    note: str | None,
    channel: str | None,
    lang: str,
    payment_method: str | None = None,
) -> Order:
    """An Order from the cart at today's catalog prices; the cart is emptied. Flushes."""
    items = []
    for line in cart.items:
        price = unit_price(catalog, line.product_id, line.size)
        if price is None:
            continue  # dropped from the menu since it was added; the summary showed it
        product = catalog.products[line.product_id]
        items.append(
            OrderItem(
                product_id=line.product_id,
                name=product.name(lang),
                size=line.size,
                quantity=line.quantity,
                unit_price=price,
            )
        )
    if not items:
        raise OrderError("the cart is empty")
    subtotal = sum(i.unit_price * i.quantity for i in items)
    q = quote(catalog, subtotal, fulfilment)
    if q.missing_for_minimum:
        raise OrderError("below the minimum order value")
    for _ in range(NUMBER_ATTEMPTS):
        order = Order(
            number=f"{NUMBER_PREFIX}{10000 + secrets.randbelow(90000)}",
            customer_id=customer.id,
            status="new",
            fulfilment=fulfilment,
            address=address if fulfilment == "delivery" else None,
            contact_name=name,
            contact_phone=phone,
            note=note or None,
            subtotal=q.subtotal,
            delivery_fee=q.delivery_fee,
            total=q.total,
            channel=channel,
            payment_method=payment_method,
            items=items,
            history=[OrderStatusChange(status="new", actor="customer", created_at=utcnow())],
        )
        try:
            # A savepoint: a clashing number must not undo the rest of the turn.
            async with session.begin_nested():
                session.add(order)
                await session.flush()
        except IntegrityError:
            # The clashing order took the rows with it; build them again.
            items = [
                OrderItem(
                    product_id=i.product_id,
                    name=i.name,
                    size=i.size,
                    quantity=i.quantity,
                    unit_price=i.unit_price,
                )
                for i in items
            ]
            continue
        cart.items.clear()
        return order
    raise OrderError("could not allocate an order number")


def _with_items() -> Any:
    return selectinload(Order.items)


async def customer_order(session: AsyncSession, customer_id: int, number: str) -> Order | None:
    """The customer's own order by number; another customer's is as unknown as a typo."""
    return await session.scalar(
        select(Order)
        .where(Order.customer_id == customer_id, Order.number == number.strip().upper())
        .options(_with_items())
    )


async def latest_order(
    session: AsyncSession, customer_id: int, statuses: frozenset[str] | None = None
) -> Order | None:
    query = select(Order).where(Order.customer_id == customer_id)
    if statuses is not None:
        query = query.where(Order.status.in_(statuses))
    return await session.scalar(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(1).options(_with_items())
    )


async def last_delivery_address(session: AsyncSession, customer_id: int) -> str | None:
    return await session.scalar(
        select(Order.address)
        .where(Order.customer_id == customer_id, Order.address.is_not(None))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )


def order_object(order: Order) -> dict[str, Any]:
    """An order as the API returns it (money in grosze)."""
    return {
        "number": order.number,
        "status": order.status,
        "customer_id": order.customer_id,
        "fulfilment": order.fulfilment,
        "address": order.address,
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone,
        "note": order.note,
        "payment_method": order.payment_method,
        "channel": order.channel,
        "items": [
            {
                "product_id": i.product_id,
                "name": i.name,
                "size": i.size,
                "quantity": i.quantity,
                "unit_price": i.unit_price,
            }
            for i in order.items
        ],
        "subtotal": order.subtotal,
        "delivery_fee": order.delivery_fee,
        "total": order.total,
        "rating": order.rating,
        "ready_at": order.ready_at.isoformat() if order.ready_at else None,
        "status_reason": order.status_reason,
        "created_at": order.created_at.isoformat(),
        "updated_at": order.updated_at.isoformat() if order.updated_at else None,
    }


def rating_buttons(number: str) -> list[Button]:
    """1–5 stars, in order, so that an SMS "4" (the fourth option) means four stars."""
    return [
        Button("⭐" * n, f'/rate_order{{"order_number": "{number}", "rating": {n}}}')
        for n in range(1, 6)
    ]


@dataclass(frozen=True)
class StatusChange:
    """What staff (or the CLI) asked for: a status (None: the next one), a time, a reason."""

    status: str | None = None
    eta_minutes: int | None = None
    reason: str | None = None
    user: User | None = None


def check_change(order: Order, target: str, change: StatusChange) -> None:
    """A time belongs to accepting an order; a rejection needs a reason."""
    if change.eta_minutes is not None:
        if target != "confirmed":
            raise InvalidChange("eta_minutes goes with accepting an order (status confirmed)")
        if not 1 <= change.eta_minutes <= MAX_ETA_MINUTES:
            raise InvalidChange(f"eta_minutes must be 1–{MAX_ETA_MINUTES}")
    if target == "rejected" and not (change.reason or "").strip():
        raise InvalidChange("say why the order is rejected (reason)")


async def advance_order(
    core: Core, number: str, status: str | None = None, change: StatusChange | None = None
) -> dict[str, Any]:
    """Move an order to its next (or the given) status and tell the customer once.

    Raises UnknownOrder, UnknownStatus, InvalidTransition or InvalidChange.
    """
    change = change or StatusChange(status)
    status = status or change.status
    async with core.sessions() as session:
        order = await session.scalar(
            select(Order).where(Order.number == number.strip().upper()).options(_with_items())
        )
        if order is None:
            raise UnknownOrder(f"no order {number}")
        target = status or next_status(order)
        if target is None:
            raise InvalidTransition(f"order {order.number} is already {order.status}")
        check_transition(order, target)
        check_change(order, target, change)
        now = utcnow()
        values: dict[str, Any] = {"status": target, "updated_at": now}
        if change.eta_minutes is not None:
            values["ready_at"] = now + timedelta(minutes=change.eta_minutes)
        if change.reason:
            values["status_reason"] = change.reason.strip()[:300]
        # Compare-and-set: of two concurrent calls only one moves the order (and notifies).
        result = await session.execute(
            update(Order).where(Order.id == order.id, Order.status == order.status).values(**values)
        )
        if (getattr(result, "rowcount", 0) or 0) != 1:
            raise InvalidTransition(f"order {order.number} was changed at the same time")
        session.add(
            OrderStatusChange(
                order_id=order.id,
                status=target,
                previous=order.status,
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
        if target == "completed":
            # So that an SMS "5" answers the rating question too.
            state = await repo.dialogue_state_of(session, customer.id)
            if state.flow is None:
                state.pending_options = {"buttons": [b.as_dict() for b in buttons]}
        # The status and its notification are stored together (the transactional outbox).
        notice = await core.outbox.stage_proactive(session, customer.id, text, buttons)
        await session.commit()
        await session.refresh(order)
        obj = order_object(order)
    await core.hub.publish(ORDERS_TOPIC, {"type": "order", "number": obj["number"]})
    if notice is not None and notice.delivery_status == "pending":
        await core.deliver([notice.id])
    return obj


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


async def list_orders(
    session: AsyncSession, status: str | None = None, limit: int = 50
) -> list[Order]:
    query = select(Order).options(_with_items())
    if status:
        query = query.where(Order.status.in_(status.split(",")))
    rows = await session.scalars(query.order_by(Order.id.desc()).limit(limit))
    return list(rows)

"""Orders in the store: placing one from the cart at today's prices, finding a customer's own.

Statuses and their moves are in bot.domain.order_status; the kitchen's moves (each a step
of the order's history, and the customer's notification) in bot.order_board.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.item_wishes import for_the_kitchen
from bot.domain.order_status import OPEN, OrderError
from bot.domain.phones import readable_phone
from bot.domain.pricing import quote, unit_price
from bot.messages import Button
from bot.store.models import Cart, Customer, Order, OrderItem, OrderStatusChange, utcnow
from bot.store.preloaded import Preloaded
from knowledge.catalog import Catalog

NUMBER_PREFIX = "PZ-"
NUMBER_ATTEMPTS = 20


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
    wishes = []
    for line in cart.items:
        price = unit_price(catalog, line.product_id, line.size)
        if price is None:
            continue  # dropped from the menu since it was added; the summary showed it
        product = catalog.products[line.product_id]
        if line.note:
            label = catalog.item_label(product.name(lang), line.size, lang)
            wishes.append(f"{line.quantity} × {label}: {for_the_kitchen(line.note, lang)}")
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
            note=kitchen_note(wishes, note),
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


def kitchen_note(wishes: list[str], note: str | None) -> str | None:
    """The order's note as the board and the ticket show it: what was wished of each item
    ("1 × Margherita, duża (42 cm): bez bazylii"), then the note typed for the order."""
    return "; ".join(part for part in (*wishes, note or "") if part) or None


def with_items() -> Any:
    return selectinload(Order.items)


async def customer_order(session: AsyncSession, customer_id: int, number: str) -> Order | None:
    """The customer's own order by number; another customer's is as unknown as a typo."""
    return await session.scalar(
        select(Order)
        .where(Order.customer_id == customer_id, Order.number == number.strip().upper())
        .options(with_items())
    )


async def latest_order(
    session: AsyncSession,
    customer_id: int,
    statuses: frozenset[str] | None = None,
    preloaded: Preloaded | None = None,
) -> Order | None:
    """The customer's latest order (of `statuses`), with its lines; from the turn's
    `preloaded` orders when they tell it (then a trip only for the lines of one found)."""
    if preloaded is not None and preloaded.customer_id == customer_id:
        known, order = _known_latest(session, preloaded, statuses)
        if known:
            if order is not None and "items" not in inspect(order).dict:
                await session.refresh(order, ["items"])
            return order
    query = select(Order).where(Order.customer_id == customer_id)
    if statuses is not None:
        query = query.where(Order.status.in_(statuses))
    return await session.scalar(
        query.order_by(Order.created_at.desc(), Order.id.desc()).limit(1).options(with_items())
    )


def _known_latest(
    session: AsyncSession, preloaded: Preloaded, statuses: frozenset[str] | None
) -> tuple[bool, Order | None]:
    """(True, the order) when the turn's preloaded latest and latest open orders decide which
    order is the latest of `statuses`; (False, None) when only the store can tell (an order
    made in this turn, a status that neither has now)."""
    latest, latest_open = preloaded.latest_order, preloaded.latest_open_order
    if any(isinstance(o, Order) for o in session.new) or any(
        isinstance(o, Order)
        and o.customer_id == preloaded.customer_id
        and (latest is None or o.id > latest.id)
        for o in session.identity_map.values()
    ):
        return False, None  # an order placed in this turn
    if latest is None or statuses is None or latest.status in statuses:
        return True, latest
    if statuses <= OPEN:
        # Orders only leave the open statuses: none later than the latest open one is open.
        if latest_open is None or latest_open.status in statuses:
            return True, latest_open
    return False, None


async def most_ordered(session: AsyncSession, since: datetime, limit: int = 10) -> list[str]:
    """The products ordered most (by quantity) since then, most first; cancelled and
    rejected orders do not count."""
    total = func.sum(OrderItem.quantity)
    rows = await session.execute(
        select(OrderItem.product_id, total)
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.created_at >= since, Order.status.not_in(("cancelled", "rejected")))
        .group_by(OrderItem.product_id)
        .order_by(total.desc(), OrderItem.product_id)
        .limit(limit)
    )
    return [str(product) for product, _ in rows.all()]


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
        "contact_phone_text": readable_phone(order.contact_phone),
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
    """1–5 stars, in order, so that an SMS "4" (the fourth option) means four stars.

    "★" (a text symbol every common font draws), not the emoji "⭐": without an emoji font
    (many Linux desktops, kiosks) the emoji is a row of boxes, and the buttons say nothing."""
    return [
        Button("★" * n, f'/rate_order{{"order_number": "{number}", "rating": {n}}}')
        for n in range(1, 6)
    ]


async def list_orders(
    session: AsyncSession, status: str | None = None, limit: int = 50
) -> list[Order]:
    query = select(Order).options(with_items())
    if status:
        query = query.where(Order.status.in_(status.split(",")))
    rows = await session.scalars(query.order_by(Order.id.desc()).limit(limit))
    return list(rows)

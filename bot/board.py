"""The orders board's view of the store: order cards, their history and the live feed.

The feed is ordered by the seq of `OrderStatusChange` rows (placing an order is its first
change), which the database gives in commit order: once a seq is seen, every lower one is.
A board remembers the last seq it saw; after a dropped connection it asks for everything
after it, so nothing is missed, and it shows each order once (by number) however often the
order comes again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from bot.domain.order_status import OPEN
from bot.domain.phones import readable_phone
from bot.orders import order_object
from bot.store.models import Customer, Order, OrderStatusChange, utcnow
from knowledge.catalog import Catalog

FEED_BATCH = 200
# Finished orders stay on the board (folded away) for this long.
FINISHED_VISIBLE = timedelta(hours=12)


def _full() -> list[Any]:
    return [selectinload(Order.items), selectinload(Order.history)]


def history_object(step: OrderStatusChange) -> dict[str, Any]:
    return {
        "id": step.id,
        "status": step.status,
        "previous": step.previous,
        "by": step.actor,
        "user_id": step.user_id,
        "eta_minutes": step.eta_minutes,
        "reason": step.reason,
        "at": step.created_at.isoformat(),
    }


def order_card(order: Order, catalog: Catalog, customer: Customer | None = None) -> dict[str, Any]:
    """Everything the board and `GET /api/orders/{number}` show about one order; each item
    with its `labels` as the board shows it, per language."""
    card = order_object(order)
    for item, line in zip(card["items"], order.items, strict=True):
        item["labels"] = catalog.item_labels(line.name, line.size, line.product_id)
    card["history"] = [history_object(h) for h in order.history]
    card["seq"] = max((h.seq for h in order.history if h.seq is not None), default=0)
    if customer is not None:
        card["customer"] = {
            "id": customer.id,
            "name": customer.name,
            "phone": customer.phone,
            "phone_text": readable_phone(customer.phone),
            "language": customer.language,
        }
    return card


async def find_order(session: AsyncSession, catalog: Catalog, number: str) -> dict[str, Any] | None:
    order = await session.scalar(
        select(Order).where(Order.number == number.strip().upper()).options(*_full())
    )
    if order is None:
        return None
    return order_card(order, catalog, await session.get(Customer, order.customer_id))


async def query_orders(
    session: AsyncSession,
    catalog: Catalog,
    statuses: list[str] | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Orders by status, placed or changed since a moment; newest first."""
    query = select(Order).options(*_full())
    if statuses:
        query = query.where(Order.status.in_(statuses))
    if since is not None:
        query = query.where(or_(Order.created_at >= since, Order.updated_at >= since))
    rows = await session.scalars(query.order_by(Order.id.desc()).limit(limit))
    return [order_card(o, catalog) for o in rows]


async def latest_seq(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(OrderStatusChange.seq))) or 0)


async def board_snapshot(
    session: AsyncSession, catalog: Catalog
) -> tuple[int, list[dict[str, Any]]]:
    """The last change's seq, then the orders a board shows: open ones and recently finished.

    The seq is read first: anything that changes meanwhile comes again in the feed.
    """
    seq = await latest_seq(session)
    recent = utcnow() - FINISHED_VISIBLE
    rows = await session.scalars(
        select(Order)
        .where(or_(Order.status.in_(OPEN), Order.updated_at >= recent))
        .options(*_full())
        .order_by(Order.id)
    )
    return seq, [order_card(o, catalog) for o in rows]


async def changes_after(
    session: AsyncSession, catalog: Catalog, seq: int, limit: int = FEED_BATCH
) -> tuple[int, list[dict[str, Any]]]:
    """Orders changed after change `seq` (each once, in the order of their last change;
    at most `limit` changes read) and the seq to ask from next time."""
    steps = list(
        await session.execute(
            select(OrderStatusChange.seq, OrderStatusChange.order_id)
            .where(OrderStatusChange.seq > seq)
            .order_by(OrderStatusChange.seq)
            .limit(limit)
        )
    )
    if not steps:
        return seq, []
    last_change = {order_id: step_seq for step_seq, order_id in steps}
    rows = await session.scalars(select(Order).where(Order.id.in_(last_change)).options(*_full()))
    cards = sorted((order_card(o, catalog) for o in rows), key=lambda c: c["seq"])
    last: int | None = steps[-1][0]
    assert last is not None  # only committed changes (seq > n) were read
    return last, cards


def board_settings(catalog: Catalog) -> dict[str, Any]:
    """What the page needs to draw cards: the shop's time zone and size names."""
    return {"timezone": catalog.facts.timezone.key, "sizes": catalog.sizes}

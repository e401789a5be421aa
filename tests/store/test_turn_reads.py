"""A turn's cart and orders come with its context, in the same query: the dialogue's reads
of them then answer what the store would, without a statement of their own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from bot import orders
from bot.domain.order_status import CUSTOMER_CANCELLABLE, OPEN
from bot.store import repo
from bot.store.models import Cart, CartItem, Order, OrderItem, utcnow
from knowledge.catalog import Catalog

STATUS_SETS: list[frozenset[str] | None] = [
    None,
    OPEN,
    CUSTOMER_CANCELLABLE,
    frozenset({"completed"}),
    frozenset({"cancelled"}),
    frozenset({"preparing"}),
]


@contextmanager
def statements() -> Iterator[list[str]]:
    """The SQL statements this process sends meanwhile (every engine)."""
    sent: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def order(customer_id: int, number: str, status: str, minutes_ago: int, dish: str) -> Order:
    return Order(
        number=number,
        customer_id=customer_id,
        status=status,
        fulfilment="pickup",
        total=2990,
        created_at=utcnow() - timedelta(minutes=minutes_ago),
        items=[
            OrderItem(product_id=dish, name=dish.title(), size=None, quantity=1, unit_price=2990),
        ],
    )


async def test_latest_orders_of_every_status_set_are_the_stores(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "w1")
        other, _ = await repo.resolve_customer(s, "webchat", "w2")
        s.add_all(
            [
                order(customer.id, "PZ-10001", "new", 30, "margherita"),
                order(customer.id, "PZ-10002", "preparing", 20, "capricciosa"),
                order(customer.id, "PZ-10003", "completed", 10, "hawaii"),
                order(other.id, "PZ-10004", "new", 1, "diavola"),  # another's, newest
            ]
        )
        await s.commit()
    for statuses in STATUS_SETS:
        async with sessions() as s:
            expected = await orders.latest_order(s, customer.id, statuses)
            want = (expected.number, [i.name for i in expected.items]) if expected else None
        async with sessions() as s:
            row = await repo.turn_context(s, customer.id)
            assert row is not None
            found = await orders.latest_order(s, customer.id, statuses, row.preloaded)
            got = (found.number, [i.name for i in found.items]) if found else None
        assert got == want, statuses
    async with sessions() as s:
        row = await repo.turn_context(s, customer.id)
        assert row is not None and row.preloaded is not None
        assert row.preloaded.latest_order is not None
        assert row.preloaded.latest_order.number == "PZ-10003"
        assert row.preloaded.latest_open_order is not None
        assert row.preloaded.latest_open_order.number == "PZ-10002"


async def test_a_customer_without_orders_or_cart_is_answered_without_a_statement(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "w1")
    async with sessions() as s:
        row = await repo.turn_context(s, customer.id)
        assert row is not None
        with statements() as sent:
            for statuses in STATUS_SETS:
                assert await orders.latest_order(s, customer.id, statuses, row.preloaded) is None
            cart = await repo.cart_of(s, customer.id, row.preloaded)
            cart.items.append(CartItem(product_id="margherita", size="large", quantity=2))
            assert await repo.cart_of(s, customer.id, row.preloaded) is cart
        assert sent == []
        await s.commit()
    async with sessions() as s:
        carts = list(await s.scalars(select(Cart).where(Cart.customer_id == customer.id)))
        assert len(carts) == 1
        cart = await repo.cart_of(s, customer.id)
        assert [(i.product_id, i.size, i.quantity) for i in cart.items] == [
            ("margherita", "large", 2)
        ]


async def test_a_stored_cart_comes_with_its_lines_and_changes_are_kept(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "w1")
        cart = await repo.cart_of(s, customer.id)
        cart.items.extend(
            [
                CartItem(product_id="margherita", size="large", quantity=2),
                CartItem(product_id="hawaii", size="small", quantity=1),
            ]
        )
        await s.commit()
    async with sessions() as s:
        row = await repo.turn_context(s, customer.id)
        assert row is not None
        with statements() as sent:
            cart = await repo.cart_of(s, customer.id, row.preloaded)
            lines = [(i.product_id, i.quantity) for i in cart.items]
        assert sent == [] and lines == [("margherita", 2), ("hawaii", 1)]
        cart.items[0].quantity = 3
        cart.items.pop()
        await s.commit()
    async with sessions() as s:
        cart = await repo.cart_of(s, customer.id)
        assert [(i.product_id, i.quantity) for i in cart.items] == [("margherita", 3)]


async def test_an_order_placed_in_the_turn_is_the_latest_after(sessions) -> None:  # type: ignore[no-untyped-def]
    catalog = Catalog.load()
    async with sessions() as s:
        customer, _ = await repo.resolve_customer(s, "webchat", "w1")
        s.add(order(customer.id, "PZ-10001", "completed", 30, "margherita"))
        await s.commit()
    async with sessions() as s:
        row = await repo.turn_context(s, customer.id)
        assert row is not None
        cart = await repo.cart_of(s, customer.id, row.preloaded)
        cart.items.append(CartItem(product_id="margherita", size="large", quantity=2))
        placed = await orders.place_order(
            s,
            catalog,
            row.customer,
            cart,
            fulfilment="pickup",
            address=None,
            name="Anna",
            phone="+48601234567",
            note=None,
            channel="webchat",
            lang="pl",
        )
        for statuses in (None, OPEN, CUSTOMER_CANCELLABLE):
            found = await orders.latest_order(s, customer.id, statuses, row.preloaded)
            assert found is placed, statuses
        await s.commit()
    async with sessions() as s:
        latest = await orders.latest_order(s, customer.id, OPEN)
        assert latest is not None and latest.number == placed.number
        assert [(i.product_id, i.quantity) for i in latest.items] == [("margherita", 2)]

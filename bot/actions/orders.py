"""Order actions: place, status, cancel, reorder, rate — only ever the customer's own orders."""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from sqlalchemy import update

from bot import orders
from bot.actions.cart import AddToCart, add_line, cart_buttons, entities_of
from bot.actions.context import ActionContext, Say, ShopAction
from bot.dialogue.turn import payload_for
from bot.domain.order_status import CUSTOMER_CANCELLABLE, OPEN, OrderError
from bot.domain.pricing import CartMaths, unit_price
from bot.messages import Button
from bot.store import repo
from bot.store.models import Order, OrderStatusChange, utcnow
from knowledge.catalog import format_price

Events = list[dict[str, Any]]
CHECKOUT_SLOTS = (
    "fulfilment",
    "address",
    "contact_name",
    "contact_phone",
    "note",
    "payment_method",
)
_NUMBER = re.compile(r"\bPZ[-\s]?(\d{5})\b", re.I)


def order_number_of(tracker: Tracker) -> str | None:
    """The order number the customer named (entity, or typed in the text)."""
    value = next(iter(entities_of(tracker, "order_number")), None)
    text = str(value or tracker.latest_message.get("text") or "")
    m = _NUMBER.search(text)
    return f"PZ-{m.group(1)}" if m else (str(value).upper() if value else None)


def status_name(ctx: ActionContext, status: str) -> str:
    return ctx.text(f"status_{status}")


async def find_order(
    ctx: ActionContext, say: Say, number: str | None, statuses: frozenset[str] | None = None
) -> Order | None:
    """The customer's order by number, or their latest; says why when there is none.

    Another customer's number gets exactly the answer an unknown number gets.
    """
    session, customer_id = ctx.turn.session, ctx.turn.customer.id
    if number:
        order = await orders.customer_order(session, customer_id, number)
        if order is None:
            say("order_not_found", [say.button("btn_my_order", "order_status")], number=number)
        return order
    order = await orders.latest_order(session, customer_id, statuses, ctx.turn.preloaded)
    if order is None:
        say("no_orders", [say.button("btn_menu", "browse_menu")])
    return order


class PlaceOrder(ShopAction):
    def name(self) -> str:
        return "action_place_order"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        turn = ctx.turn
        cart = await ctx.cart()
        slot = tracker.get_slot
        try:
            order = await orders.place_order(
                turn.session,
                ctx.shop.catalog,
                turn.customer,
                cart,
                fulfilment=str(slot("fulfilment") or "pickup"),
                address=slot("address"),
                name=str(slot("contact_name") or ""),
                phone=str(slot("contact_phone") or ""),
                note=slot("note"),
                channel=turn.customer.last_channel,
                lang=ctx.lang,
                payment_method=slot("payment_method"),
            )
        except OrderError:
            say("cart_empty_checkout", [say.button("btn_menu", "browse_menu")])
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        if not turn.customer.name and order.contact_name:
            turn.customer.name = order.contact_name
        repo.record_event(
            turn.session, "order_placed", turn.customer.id, number=order.number, total=order.total
        )
        key = "order_placed_delivery" if order.fulfilment == "delivery" else "order_placed_pickup"
        say(
            key,
            [say.button("btn_my_order", "order_status", order_number=order.number)],
            number=order.number,
            total=format_price(order.total, ctx.lang),
        )
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("last_item", None),
            SlotSet("last_items", None),
            *[SlotSet(s, None) for s in CHECKOUT_SLOTS],
        ]


class OrderStatus(ShopAction):
    def name(self) -> str:
        return "action_order_status"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        order = await find_order(ctx, say, order_number_of(tracker))
        if order is not None:
            say_status(ctx, say, order)
        return []


def say_status(ctx: ActionContext, say: Say, order: Order) -> None:
    """The order's status, its items and total, and the time the kitchen gave while it is
    still to come ("potwierdzone, dostawa około 19:40") — before it gave one, the usual time —
    with what can be done next."""
    buttons: list[Button] = []
    if order.status in CUSTOMER_CANCELLABLE:
        buttons.append(say.button("btn_cancel_order", "cancel_order", order_number=order.number))
    if order.status == "completed" and order.rating is None:
        buttons.append(say.button("btn_rate", "rate_order", order_number=order.number))
    buttons.append(say.button("btn_menu", "browse_menu"))
    items = CartMaths.inline(
        f"{i.quantity} × {ctx.shop.catalog.item_label(i.name, i.size, ctx.lang)}"
        for i in order.items
    )
    status = status_name(ctx, order.status)
    if order.ready_at is not None and order.status in ("confirmed", "preparing"):
        time = f"{ctx.shop.catalog.facts.local(order.ready_at):%H:%M}"
        status += ", " + ctx.text(f"status_time_{order.fulfilment}", time=time)
    elif order.status == "new":
        # "kiedy będzie?" before the kitchen gave a time: how long it usually takes.
        status += "; " + ctx.text(f"status_usual_{order.fulfilment}")
    say(
        "order_status",
        buttons,
        number=order.number,
        status=status,
        items=items,
        total=format_price(order.total, ctx.lang),
    )


class CancelOrder(ShopAction):
    """Asks for confirmation; `action_cancel_order_confirmed` cancels."""

    def name(self) -> str:
        return "action_cancel_order"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        number = order_number_of(tracker)
        order = await find_order(ctx, say, number, None if number else OPEN)
        if order is None:
            return []
        if order.status == "cancelled":
            say("already_cancelled", number=order.number)
            return []
        if order.status not in CUSTOMER_CANCELLABLE:
            say(
                "cancel_too_late",
                [say.button("btn_human", "human_handoff")],
                number=order.number,
                status=status_name(ctx, order.status),
            )
            return []
        say(
            "cancel_confirm",
            [say.button("btn_yes_cancel", "affirm"), say.button("btn_no_keep", "deny")],
            number=order.number,
            total=format_price(order.total, ctx.lang),
        )
        return [ActiveLoop("cancel_order"), SlotSet("order_number", order.number)]


class CancelOrderConfirmed(ShopAction):
    def name(self) -> str:
        return "action_cancel_order_confirmed"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        done: Events = [ActiveLoop(None), SlotSet("order_number", None)]
        number = tracker.get_slot("order_number")
        order = await find_order(ctx, say, str(number or "") or None, OPEN)
        if order is None:
            return done
        # Compare-and-set: the kitchen may have started it a moment ago.
        moved = await ctx.turn.session.execute(
            update(Order)
            .where(Order.id == order.id, Order.status.in_(CUSTOMER_CANCELLABLE))
            .values(status="cancelled", updated_at=utcnow())
        )
        if (getattr(moved, "rowcount", 0) or 0) != 1:
            await ctx.turn.session.refresh(order)
            say(
                "cancel_too_late",
                [say.button("btn_human", "human_handoff")],
                number=order.number,
                status=status_name(ctx, order.status),
            )
            return done
        # A step of the order's history like any other: the board sees the cancellation.
        ctx.turn.session.add(
            OrderStatusChange(
                order_id=order.id,
                status="cancelled",
                previous=order.status,
                actor="customer",
                created_at=utcnow(),
            )
        )
        repo.record_event(
            ctx.turn.session, "order_cancelled", ctx.turn.customer.id, number=order.number
        )
        say("order_cancelled", [say.button("btn_menu", "browse_menu")], number=order.number)
        return done


class Reorder(ShopAction):
    def name(self) -> str:
        return "action_reorder"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        number = order_number_of(tracker)
        order = await find_order(ctx, say, number)
        if order is None:
            return []
        catalog, maths = ctx.shop.catalog, ctx.shop.pricing
        cart = await ctx.cart()
        missing = []
        # "same as last time but make it a large": with no product named, a size said is the
        # size of the last order's items that come in it.
        sizes = [] if entities_of(tracker, "product") else entities_of(tracker, "size")
        for item in order.items:
            if unit_price(catalog, item.product_id, item.size) is None:
                missing.append(item.name)
                continue
            size, product = item.size, catalog.products.get(item.product_id)
            if sizes and product is not None and product.sized and sizes[0] in product.prices:
                size = str(sizes[0])
            add_line(cart, item.product_id, size, item.quantity)
        if missing:
            say("reorder_missing", items=", ".join(missing))
        if not cart.items:
            say("cart_empty", [say.button("btn_menu", "browse_menu")])
            return []
        say(
            "reordered",
            cart_buttons(say),
            number=order.number,
            items=maths.describe_cart(cart.items, ctx.lang),
            total=format_price(maths.total(cart.items), ctx.lang),
        )
        # The same order again: its way and contact too, so the checkout asks nothing twice
        # (the summary shows them and "Change" changes them).
        given = {
            "given_fulfilment": order.fulfilment,
            "given_address": order.address if order.fulfilment == "delivery" else None,
            "given_name": order.contact_name,
            "given_phone": order.contact_phone,
        }
        events: Events = [
            SlotSet("last_item", None),
            SlotSet("last_items", None),
            *(SlotSet(name, value) for name, value in given.items() if value),
        ]
        if entities_of(tracker, "product"):
            # "zamów to co poprzednio i dorzuć colę": the last order, and the cola too.
            events += await AddToCart().act(ctx, say, tracker)
        return events


class RateOrder(ShopAction):
    """Asks for 1–5 (buttons), stores it, then offers an optional comment."""

    def name(self) -> str:
        return "action_rate_order"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        number = order_number_of(tracker) or tracker.get_slot("order_number")
        order = await find_order(ctx, say, number, None if number else frozenset({"completed"}))
        if order is None:
            return [ActiveLoop(None)] if tracker.active_loop else []
        if order.status != "completed":
            say("rate_not_yet", number=order.number, status=status_name(ctx, order.status))
            return []
        rating = next(iter(entities_of(tracker, "rating")), None) or tracker.get_slot("rating")
        try:
            stars = int(rating) if rating is not None else None
        except (TypeError, ValueError):
            stars = None
        if stars is None or not 1 <= stars <= 5:
            say("rate_ask", orders.rating_buttons(order.number), number=order.number)
            return [
                ActiveLoop("rate"),
                SlotSet("requested_slot", "rating"),
                SlotSet("order_number", order.number),
                SlotSet("rating", None),
            ]
        order.rating = stars
        repo.record_event(
            ctx.turn.session, "order_rated", ctx.turn.customer.id, number=order.number, rating=stars
        )
        skip = Button(ctx.text("btn_no_comment"), payload_for("inform", comment=""))
        say("rate_comment_ask", [skip], stars=stars)
        return [
            ActiveLoop("rate"),
            SlotSet("requested_slot", "rating_comment"),
            SlotSet("order_number", order.number),
            SlotSet("rating", None),
        ]


class RateComment(ShopAction):
    def name(self) -> str:
        return "action_rate_comment"

    async def act(self, ctx: ActionContext, say: Say, tracker: Tracker) -> Events:
        number = tracker.get_slot("order_number")
        comment = str(tracker.get_slot("rating_comment") or "").strip()
        order = await orders.customer_order(ctx.turn.session, ctx.turn.customer.id, str(number))
        if order is not None and comment:
            order.rating_comment = comment[:2000]
        say("rate_done", ctx.main_buttons())
        return [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("order_number", None),
            SlotSet("rating_comment", None),
        ]

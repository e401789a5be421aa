"""Joining two customers into one: identities, timeline, cart, dialogue state, orders."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.handoff import AGENT_STATES
from bot.domain.order_status import OPEN
from bot.store import repo
from bot.store.models import (
    Cart,
    CartItem,
    ChannelIdentity,
    Conversation,
    Customer,
    DialogueState,
    Event,
    LinkToken,
    Message,
    Order,
)


@dataclass
class Carried:
    """What a join brought over, for the "welcome back" message."""

    cart_items: int
    open_order: str | None
    flow: str | None


async def merge_customers(session: AsyncSession, survivor: Customer, loser: Customer) -> Carried:
    """Move everything of `loser` onto `survivor` in the caller's transaction.

    Nothing is lost and nothing doubled: the same cart line in both carts is kept once
    (the larger quantity), other lines are moved.
    """
    assert survivor.id != loser.id
    s_id, l_id = survivor.id, loser.id
    await session.execute(
        update(ChannelIdentity).where(ChannelIdentity.customer_id == l_id).values(customer_id=s_id)
    )
    s_conv = await repo.conversation_of(session, s_id)
    l_conv = await session.scalar(select(Conversation).where(Conversation.customer_id == l_id))
    await session.execute(
        update(Message)
        .where(Message.customer_id == l_id)
        .values(customer_id=s_id, conversation_id=s_conv.id)
    )
    if l_conv is not None:
        if l_conv.status in AGENT_STATES and s_conv.status not in AGENT_STATES:
            s_conv.status = l_conv.status
            s_conv.assigned_agent_id = l_conv.assigned_agent_id
            s_conv.waiting_since = l_conv.waiting_since
            s_conv.handoff_reason = l_conv.handoff_reason
        l_conv.status = "closed"
        l_conv.assigned_agent_id = None
    for model in (Order, Event, LinkToken):
        await session.execute(
            update(model).where(model.customer_id == l_id).values(customer_id=s_id)  # type: ignore[attr-defined]
        )

    s_cart = await repo.cart_of(session, s_id)
    l_cart = await session.scalar(select(Cart).where(Cart.customer_id == l_id))
    if l_cart is not None:
        l_items = list(await session.scalars(select(CartItem).where(CartItem.cart_id == l_cart.id)))
        for item in l_items:
            same = next(
                (
                    i
                    for i in s_cart.items
                    if (i.product_id, i.size, i.note) == (item.product_id, item.size, item.note)
                ),
                None,
            )
            if same is None:
                s_cart.items.append(
                    CartItem(
                        product_id=item.product_id,
                        size=item.size,
                        quantity=item.quantity,
                        note=item.note,
                    )
                )
            else:
                same.quantity = max(same.quantity, item.quantity)
            await session.delete(item)
        await session.delete(l_cart)

    s_state = await session.get(DialogueState, s_id)
    l_state = await session.get(DialogueState, l_id)
    if l_state is not None:
        if s_state is None:
            s_state = DialogueState(customer_id=s_id, slots={})
            session.add(s_state)
        # The flow in progress wins; the survivor's own flow wins over the loser's.
        if not s_state.flow and l_state.flow:
            s_state.flow, s_state.step = l_state.flow, l_state.step
            s_state.pending_options = l_state.pending_options
        s_state.slots = {**(l_state.slots or {}), **(s_state.slots or {})}
        await session.delete(l_state)

    for field in ("name", "phone", "email", "language"):
        if getattr(survivor, field) is None and getattr(loser, field) is not None:
            setattr(survivor, field, getattr(loser, field))
    survivor.sms_opt_out = bool(survivor.sms_opt_out or loser.sms_opt_out)
    loser.merged_into_id = s_id
    await session.flush()

    open_order = await session.scalar(
        select(Order.number)
        .where(Order.customer_id == s_id, Order.status.in_(OPEN))
        .order_by(Order.id.desc())
    )
    return Carried(
        cart_items=sum(i.quantity for i in s_cart.items),
        open_order=open_order,
        flow=s_state.flow if s_state else None,
    )

"""Human handoff: the queue, assignment, agent replies, notes, resolving, summaries."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from bot.domain.handoff import AGENT_STATES
from bot.domain.order_status import OPEN
from bot.domain.phones import readable_phone
from bot.domain.pricing import CartMaths
from bot.domain.refusals import Refusal
from bot.store import repo
from bot.store.models import (
    Cart,
    ChannelIdentity,
    Conversation,
    Customer,
    DialogueState,
    Event,
    Message,
    Order,
    User,
    utcnow,
)
from knowledge.catalog import Catalog, format_price

# Messages of a customer's timeline per page (the profile shows the newest page).
TIMELINE_PAGE = 500


class HandoffError(Refusal):
    """An agent action that cannot be done; `status` is the HTTP status to answer with."""

    def __init__(
        self, message: str, status: int = 409, code: str | None = None, **params: str
    ) -> None:
        super().__init__(message, code, **params)
        self.status = status


def told_contact(slots: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """The name and phone the customer typed in this conversation (dialogue slots): at the
    checkout under way, or kept from one left unfinished; not proof of the phone."""
    slots = slots or {}
    name = slots.get("contact_name") or slots.get("given_name")
    phone = slots.get("contact_phone") or slots.get("given_phone")
    return (str(name) if name else None), (str(phone) if phone else None)


# The newest public message of the conversation's customer, and the newest the customer
# wrote: the inbox shows the latter for a conversation waiting for a person (the bot's "the
# team has your message" says nothing to the agent).
_LAST = aliased(Message, name="last_message")
_SAID = aliased(Message, name="last_customer_message")


def _newest_message_id(*criteria: ColumnElement[bool]) -> Any:
    """The id of the customer's newest public message (meeting `criteria`), correlated to
    Customer: one index walk per listed conversation, inside the list's own statement."""
    return (
        select(Message.id)
        .where(Message.customer_id == Customer.id, Message.private.is_(False), *criteria)
        .order_by(Message.id.desc())
        .limit(1)
        .correlate(Customer)
        .scalar_subquery()
    )


# The name given at the customer's last checkout that gave one (nothing proven, like the
# profile's `contact`): who the queue names when neither the channel nor the chat said it.
_ORDERED_AS = (
    select(Order.contact_name)
    .where(Order.customer_id == Customer.id, Order.contact_name.is_not(None))
    .order_by(Order.created_at.desc(), Order.id.desc())
    .limit(1)
    .correlate(Customer)
    .scalar_subquery()
)


async def list_conversations(
    session: AsyncSession, status: str | None, limit: int = 200
) -> list[dict[str, Any]]:
    """The inbox's rows, one statement however many conversations."""
    query = (
        select(Conversation, Customer, User.email, DialogueState.slots, _LAST, _SAID, _ORDERED_AS)
        .join(Customer, Customer.id == Conversation.customer_id)
        .outerjoin(User, User.id == Conversation.assigned_agent_id)
        .outerjoin(DialogueState, DialogueState.customer_id == Customer.id)
        .outerjoin(_LAST, _LAST.id == _newest_message_id())
        .outerjoin(_SAID, _SAID.id == _newest_message_id(Message.author == "customer"))
    )
    query = query.where(Customer.merged_into_id.is_(None))
    if status:
        query = query.where(Conversation.status == status)
    else:
        query = query.where(Conversation.status != "closed")
    if status == "waiting_agent":
        query = query.order_by(Conversation.waiting_since.asc())
    else:
        query = query.order_by(Conversation.updated_at.desc())
    rows = (await session.execute(query.limit(limit))).all()
    result = []
    now = utcnow()
    for conversation, customer, owner, slots, last, said, ordered_as in rows:
        told_name, told_phone = told_contact(slots)
        waiting = (
            int((now - conversation.waiting_since).total_seconds())
            if conversation.waiting_since and conversation.status == "waiting_agent"
            else None
        )
        result.append(
            {
                "id": conversation.id,
                "customer_id": customer.id,
                "customer_name": customer.name or told_name or ordered_as,
                # Who a customer without a name is (an SMS sender): their number, read out.
                "customer_phone_text": readable_phone(customer.phone or told_phone) or None,
                "status": conversation.status,
                "channel": customer.last_channel,
                "language": customer.language,
                "assigned_agent_id": conversation.assigned_agent_id,
                # Who has it (the console shows the others' conversations by their owner).
                "assigned_agent": owner,
                "waiting_since": conversation.waiting_since.isoformat()
                if conversation.waiting_since
                else None,
                "waiting_seconds": waiting,
                "handoff_reason": conversation.handoff_reason,
                "last_message": repo.message_object(last) if last else None,
                "last_customer_message": repo.message_object(said) if said else None,
            }
        )
    return result


async def assign(session: AsyncSession, conversation_id: int, agent: User) -> Conversation:
    """Give the conversation to one agent; of two agents at once, exactly one wins."""
    result = await session.execute(
        update(Conversation)
        .where(
            Conversation.id == conversation_id,
            Conversation.status.in_(("waiting_agent", "bot")),
            Conversation.assigned_agent_id.is_(None),
        )
        .values(status="agent", assigned_agent_id=agent.id, updated_at=utcnow())
    )
    won = (getattr(result, "rowcount", 0) or 0) == 1
    if won:
        # The event commits with the assignment: the same agent asking twice at once (two
        # tabs, two instances) wins once and is recorded once.
        customer_id = await session.scalar(
            select(Conversation.customer_id).where(Conversation.id == conversation_id)
        )
        repo.record_event(session, "assigned", customer_id, None, agent_id=agent.id)
        # The person talks now: a bare "2" is an answer to them, never the bot's option 2 from
        # before (picked by the bot once handed back). The agent's own buttons become options.
        await session.execute(
            update(DialogueState)
            .where(DialogueState.customer_id == customer_id)
            .values(pending_options=None)
        )
    await session.commit()
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise HandoffError("no such conversation", 404, "no_conversation")
    await session.refresh(conversation)
    if not won and conversation.assigned_agent_id != agent.id:
        owner = (
            await session.get(User, conversation.assigned_agent_id)
            if (conversation.assigned_agent_id)
            else None
        )
        who = owner.email if owner else "nobody"
        raise HandoffError(
            f"conversation is {conversation.status}, assigned to {who}",
            409,
            "conversation_taken" if owner else "conversation_not_waiting",
            conversation=conversation.status,
            agent=owner.email if owner else "",
        )
    return conversation


async def owned_conversation(
    session: AsyncSession, conversation_id: int, agent: User
) -> Conversation:
    conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise HandoffError("no such conversation", 404, "no_conversation")
    if conversation.status != "agent" or (
        conversation.assigned_agent_id != agent.id and agent.role != "admin"
    ):
        raise HandoffError("assign the conversation to yourself first", 409, "assign_first")
    return conversation


async def add_note(
    session: AsyncSession, conversation: Conversation, agent: User, text: str
) -> Message:
    note = Message(
        customer_id=conversation.customer_id,
        conversation_id=conversation.id,
        direction="out",
        author="agent",
        channel="note",
        text=text,
        payload={"buttons": [], "agent_email": agent.email},
        private=True,
        delivery_status="internal",
        agent_id=agent.id,
        created_at=utcnow(),
    )
    session.add(note)
    await session.commit()
    return note


# Notes the system leaves on a thread: the English text is stored, the console words each
# kind in its own language.
SYSTEM_NOTES = {"webchat_ended": "The customer ended the web chat."}


async def add_system_note(session: AsyncSession, customer_id: int, kind: str) -> Message:
    """A private note by the system (e.g. the customer ended the web chat); the caller
    commits."""
    conversation = await repo.conversation_of(session, customer_id)
    note = Message(
        customer_id=customer_id,
        conversation_id=conversation.id,
        direction="out",
        author="system",
        channel="note",
        text=SYSTEM_NOTES[kind],
        payload={"buttons": [], "system_note": kind},
        private=True,
        delivery_status="internal",
        created_at=utcnow(),
    )
    session.add(note)
    return note


async def release_when_gone(
    session: AsyncSession, customer_id: int, reachable: bool
) -> Conversation | None:
    """The customer left the only channel that reached them (ended the web chat): a person's
    conversation goes back to the bot, out of the agents' queue and "Mine" — nobody could be
    answered there. Returns the conversation released; the caller commits."""
    conversation = await repo.conversation_of(session, customer_id)
    if reachable or conversation.status not in AGENT_STATES:
        return None
    conversation.status = "bot"
    conversation.assigned_agent_id = None
    conversation.waiting_since = None
    repo.record_event(session, "resolved", customer_id, None, reason="customer_left")
    return conversation


async def resolve(session: AsyncSession, conversation: Conversation) -> int | None:
    """Back to the bot, which carries on where it was (its dialogue state is untouched).
    Returns the customer's message left unanswered, if the person handed back without
    answering it: the bot answers it then (`Core.answer_left_unanswered`)."""
    unanswered = await left_unanswered(session, conversation)
    conversation.status = "bot"
    conversation.assigned_agent_id = None
    conversation.waiting_since = None
    state = await repo.dialogue_state_of(session, conversation.customer_id)
    state.fallback_count = 0
    repo.record_event(session, "resolved", conversation.customer_id, None)
    await session.commit()
    return unanswered


async def left_unanswered(session: AsyncSession, conversation: Conversation) -> int | None:
    """The customer's last message, if nobody said anything after it and the bot stayed
    silent on it because a person had the conversation."""
    last = await session.scalar(
        select(Message)
        .where(
            Message.customer_id == conversation.customer_id,
            Message.private.is_(False),
            Message.author != "system",
        )
        .order_by(Message.id.desc())
        .limit(1)
    )
    if last is None or last.author != "customer" or last.delivery_status != "processed":
        return None
    return last.id


async def customer_profile(
    session: AsyncSession, customer_id: int, catalog: Catalog, *, with_timeline: bool = True
) -> dict[str, Any] | None:
    """Everything an agent needs to never ask the customer to repeat themselves."""
    customer = await repo.live_customer(session, customer_id)
    if customer is None:
        return None
    lang = customer.language or "pl"
    identities = (
        await session.scalars(
            select(ChannelIdentity).where(ChannelIdentity.customer_id == customer.id)
        )
    ).all()
    cart = await session.scalar(select(Cart).where(Cart.customer_id == customer.id))
    cart_items = []
    cart_total = 0
    pricing = CartMaths(catalog)
    if cart is not None:
        await session.refresh(cart, ["items"])
        for item in cart.items:
            product = catalog.products.get(item.product_id)
            unit = pricing.line_price(item.product_id, item.size)
            name = product.name(lang) if product else item.product_id
            cart_total += unit * item.quantity
            cart_items.append(
                {
                    "product_id": item.product_id,
                    "name": name,
                    "size": item.size,
                    "label": catalog.item_label(name, item.size, lang),
                    "labels": catalog.item_labels(name, item.size, item.product_id),
                    "quantity": item.quantity,
                    "note": item.note,  # what the customer wished of it ("bez cebuli")
                    "line_total": unit * item.quantity,
                }
            )
    orders = (
        await session.scalars(
            select(Order)
            .where(Order.customer_id == customer.id)
            .order_by(Order.id.desc())
            .options(selectinload(Order.items))
        )
    ).all()
    conversation = await repo.conversation_of(session, customer.id)
    owner = (
        await session.get(User, conversation.assigned_agent_id)
        if conversation.assigned_agent_id
        else None
    )
    handoffs = (
        await session.scalars(
            select(Event)
            .where(Event.customer_id == customer.id, Event.kind == "handoff")
            .order_by(Event.id.desc())
        )
    ).all()
    intents = (
        await session.scalars(
            select(Event)
            .where(Event.customer_id == customer.id, Event.kind == "intent")
            .order_by(Event.id.desc())
            .limit(5)
        )
    ).all()
    state = await session.get(DialogueState, customer.id)
    told_name, told_phone = told_contact(state.slots if state is not None else None)
    profile: dict[str, Any] = {
        "id": customer.id,
        "name": customer.name,
        "phone": customer.phone,
        "phone_text": readable_phone(customer.phone),
        "email": customer.email,
        "language": customer.language,
        "last_channel": customer.last_channel,
        "sms_opt_out": customer.sms_opt_out,
        "created_at": customer.created_at.isoformat(),
        "conversation": {
            "id": conversation.id,
            "status": conversation.status,
            "assigned_agent_id": conversation.assigned_agent_id,
            "assigned_agent": owner.email if owner else None,
            "handoff_reason": conversation.handoff_reason,
        },
        "identities": [
            {
                "channel": i.channel,
                "address": i.address,
                "verified_by": i.verified_by,
                "unreachable": i.unreachable,
                "last_seen_at": i.last_seen_at.isoformat(),
            }
            for i in identities
        ],
        "cart": {
            "items": cart_items,
            "total": cart_total,
            "total_text": format_price(cart_total, lang),
        },
        "orders": [
            {
                "number": o.number,
                "status": o.status,
                "total": o.total,
                "total_text": format_price(o.total, lang),
                "fulfilment": o.fulfilment,
                "address": o.address,
                "contact_name": o.contact_name,
                "contact_phone": o.contact_phone,
                "contact_phone_text": readable_phone(o.contact_phone),
                "payment_method": o.payment_method,
                "note": o.note,
                "items": [
                    {
                        "product_id": i.product_id,
                        "name": i.name,
                        "size": i.size,
                        "size_name": catalog.size_name(i.size, lang),
                        "label": catalog.item_label(i.name, i.size, lang),
                        "labels": catalog.item_labels(i.name, i.size, i.product_id),
                        "quantity": i.quantity,
                    }
                    for i in o.items
                ],
                "created_at": o.created_at.isoformat(),
                "rating": o.rating,
                "rating_comment": o.rating_comment,
            }
            for o in orders
        ],
        # The name and phone given at the last checkout (not proof of the phone: identities
        # are never joined on it), for an agent who needs to call.
        "contact": next(
            (
                {
                    "name": o.contact_name,
                    "phone": o.contact_phone,
                    "phone_text": readable_phone(o.contact_phone),
                    "order": o.number,
                }
                for o in orders
                if o.contact_phone or o.contact_name
            ),
            None,
        ),
        # The name and phone the customer gave in this conversation before any order saved
        # them (no proof of the phone either), so that nobody has to ask for them again.
        "told": {"name": told_name, "phone": told_phone, "phone_text": readable_phone(told_phone)}
        if told_name or told_phone
        else None,
        "handoffs": [
            {
                "reason": (e.data or {}).get("reason"),
                "message": (e.data or {}).get("message"),
                "at": e.created_at.isoformat(),
            }
            for e in handoffs
        ],
        "last_intents": recent_topics(e.data or {} for e in intents),
        # The shop's time zone (IANA): the console gives every time in it, as the board does.
        "timezone": catalog.facts.timezone.key,
    }
    profile["summary"] = handoff_summary(profile)
    if with_timeline:
        # The newest page; older pages come from /api/customers/{id}/timeline?before=.
        rows, older = await repo.recent_timeline(
            session, customer.id, include_private=True, limit=TIMELINE_PAGE
        )
        profile["timeline"] = [timeline_entry(m) for m in rows]
        profile["timeline_older"] = older
    return profile


def recent_topics(turns: Iterable[dict[str, Any]]) -> list[str]:
    """What the customer's last messages were about, newest first, each once: the intent read,
    or for an answer to the bot's question the conversation it answered ("checkout" for
    "kartą", "leave_message" for the message left), not what its words alone resemble."""
    topics: list[str] = []
    for data in turns:
        step = data.get("flow_step")
        topic = step.partition(".")[0] if step else data.get("intent")
        if topic and topic not in topics:
            topics.append(topic)
    return topics


def timeline_entry(message: Message) -> dict[str, Any]:
    return {**repo.message_object(message), "private": message.private}


def handoff_summary(profile: dict[str, Any]) -> str:
    """One paragraph at the top of the thread: why, what they want, cart, open order."""
    parts = []
    reason = profile["conversation"].get("handoff_reason")
    if reason:
        parts.append(f"Handoff: {reason.replace('_', ' ')}.")
    left = next((h["message"] for h in profile["handoffs"] if h.get("message")), None)
    if left and reason == "message_for_team":
        parts.append(f"Their message: “{left}”")
    intents = [i for i in profile["last_intents"] if i]
    if intents:
        parts.append("Recent intents: " + ", ".join(intents) + ".")
    items = profile["cart"]["items"]
    if items:
        lines = CartMaths.inline(
            f"{i['quantity']}× {i['label']}" + (f", {i['note']}" if i.get("note") else "")
            for i in items
        )
        parts.append(f"Cart: {lines} = {profile['cart']['total_text']}.")
    else:
        parts.append("Cart empty.")
    open_orders = [o for o in profile["orders"] if o["status"] in OPEN]
    if open_orders:
        o = open_orders[0]
        parts.append(f"Open order {o['number']}: {o['status']}, {o['total_text']}.")
    channels = sorted({i["channel"] for i in profile["identities"]})
    parts.append("Channels: " + ", ".join(channels) + ".")
    return " ".join(parts)


_NAME_PARTS = re.compile(r"[._+\-\d]+")


def agent_name(email: str | None) -> str | None:
    """What a customer is told of the agent answering them: the first name of the login
    ("anna.nowak@shop.pl" -> "Anna"), or None when the login is no name ("kontakt1@…" is)."""
    if not email:
        return None
    first = _NAME_PARTS.split(email.partition("@")[0])[0]
    return first.capitalize() if first.isalpha() and 2 <= len(first) <= 20 else None


def talk_status(status: str, agent_email: str | None = None) -> dict[str, Any]:
    """The live event the customer's chat (the web widget's header) gets when a person takes
    the conversation or hands it back: who answers now."""
    agent = agent_name(agent_email) if status == "agent" else None
    return {"type": "status", "status": status, "agent": agent}


async def talk_status_of(session: AsyncSession, customer_id: int) -> dict[str, Any]:
    """The customer's `talk_status` now (a chat that (re)connects starts from it)."""
    row = (
        await session.execute(
            select(Conversation.status, User.email)
            .outerjoin(User, User.id == Conversation.assigned_agent_id)
            .where(Conversation.customer_id == customer_id)
        )
    ).first()
    if row is None:
        return talk_status("bot")
    return talk_status(row[0], row[1])

"""Numbers for the operator's analytics page, from messages, events, identities and orders.

Definitions (over the last `days` days):
- a conversation is a customer who wrote at least once that day in that channel;
- a message answering a flow's question (an address, a name, a phone, a note in the checkout)
  is a flow answer: it is counted apart and never as unmatched, whatever the NLU made of it;
- out-of-scope rate = free-text messages the bot did not understand / all messages that were
  not flow answers; the top unmatched messages are those texts, phones and e-mails masked;
- handoff rate = customers handed to a human / customers who wrote;
- cart → order conversion per channel = customers who placed an order in the channel /
  customers whose message in the channel was an `add_to_cart`.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.phones import mask_phones
from bot.store.models import ChannelIdentity, Customer, Event, Message, Order, utcnow

TOP_UNMATCHED = 20
PHONE_MASK = "[phone]"
EMAIL_MASK = "[e-mail]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def mask_contacts(text: str) -> str:
    """The text with phone numbers and e-mail addresses replaced by placeholders: the page
    shows what customers wrote, never a way to reach them."""
    return mask_phones(_EMAIL.sub(EMAIL_MASK, text), PHONE_MASK)


def _unmatched(data: dict[str, Any]) -> bool:
    """A free-text message the bot did not understand, outside any flow's question."""
    if data.get("flow_step"):
        return False
    if "understood" in data:
        return data["understood"] is False
    return str(data.get("intent") or "nlu_fallback") == "nlu_fallback"


async def analytics(session: AsyncSession, days: int = 30) -> dict[str, Any]:
    since = utcnow() - timedelta(days=days)
    day = func.date(Message.created_at)
    per_day = await session.execute(
        select(day, Message.channel, func.count(distinct(Message.customer_id)))
        .where(Message.direction == "in", Message.created_at >= since)
        .group_by(day, Message.channel)
        .order_by(day)
    )
    conversations: dict[str, dict[str, int]] = defaultdict(dict)
    for d, channel, n in per_day:
        conversations[str(d)][channel] = int(n)
    writers = int(
        await session.scalar(
            select(func.count(distinct(Message.customer_id))).where(
                Message.direction == "in", Message.created_at >= since
            )
        )
        or 0
    )
    per_customer = (
        select(ChannelIdentity.customer_id)
        .join(Customer, Customer.id == ChannelIdentity.customer_id)
        .where(Customer.merged_into_id.is_(None))
        .group_by(ChannelIdentity.customer_id)
        .having(func.count(distinct(ChannelIdentity.channel)) >= 2)
        .subquery()
    )
    omni = int(await session.scalar(select(func.count()).select_from(per_customer)) or 0)
    customers = int(
        await session.scalar(
            select(func.count()).select_from(Customer).where(Customer.merged_into_id.is_(None))
        )
        or 0
    )

    intents: Counter[str] = Counter()
    flow_answers = 0
    not_understood = 0
    unmatched: Counter[str] = Counter()
    shown: dict[str, str] = {}
    carts: dict[str, set[int]] = defaultdict(set)
    rows = await session.execute(
        select(Event.channel, Event.customer_id, Event.data).where(
            Event.kind == "intent", Event.created_at >= since
        )
    )
    for channel, customer_id, raw in rows:
        data = raw or {}
        name = str(data.get("intent") or "nlu_fallback")
        if name == "add_to_cart" and channel and customer_id:
            carts[channel].add(customer_id)
        if data.get("flow_step"):
            flow_answers += 1  # an address or a name is an answer, not an intent
            continue
        intents[name] += 1
        if not _unmatched(data):
            continue
        not_understood += 1
        if data.get("text"):
            text = mask_contacts(str(data["text"]).strip())
            key = " ".join(text.lower().split())
            unmatched[key] += 1
            shown.setdefault(key, text)
    total_intents = sum(intents.values())
    handoffs = int(
        await session.scalar(
            select(func.count(distinct(Event.customer_id))).where(
                Event.kind == "handoff", Event.created_at >= since
            )
        )
        or 0
    )
    ordered: dict[str, set[int]] = defaultdict(set)
    ratings: Counter[int] = Counter()
    for channel, customer_id, rating in await session.execute(
        select(Order.channel, Order.customer_id, Order.rating).where(Order.created_at >= since)
    ):
        ordered[channel or "unknown"].add(customer_id)
        if rating:
            ratings[int(rating)] += 1
    conversion = {
        ch: {
            "carts": len(carts.get(ch, set())),
            "orders": len(ordered.get(ch, set())),
            "rate": _rate(len(ordered.get(ch, set()) & carts.get(ch, set())), len(carts[ch]))
            if carts.get(ch)
            else None,
        }
        for ch in sorted(set(carts) | set(ordered))
    }
    rated = sum(ratings.values())
    return {
        "days": days,
        "conversations_per_day": [
            {"date": d, "channels": by_channel} for d, by_channel in sorted(conversations.items())
        ],
        "customers": customers,
        "customers_multichannel": omni,
        "intents": [{"intent": k, "count": v} for k, v in intents.most_common()],
        "flow_answers": flow_answers,
        "out_of_scope": {
            "count": not_understood,
            "total": total_intents,
            "rate": _rate(not_understood, total_intents),
            "top_unmatched": [
                {"text": shown[k], "count": n} for k, n in unmatched.most_common(TOP_UNMATCHED)
            ],
        },
        "handoff": {"customers": handoffs, "of": writers, "rate": _rate(handoffs, writers)},
        "conversion": conversion,
        "ratings": {
            "count": rated,
            "average": round(sum(k * v for k, v in ratings.items()) / rated, 2) if rated else None,
            "distribution": {str(k): ratings.get(k, 0) for k in range(1, 6)},
        },
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None

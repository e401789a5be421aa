"""Numbers for the operator's analytics page, from messages, events, identities and orders.

Definitions (over the last `days` days):
- a conversation is a customer who wrote at least once that day in that channel;
- out-of-scope rate = intent events with `nlu_fallback` / all intent events;
- handoff rate = customers handed to a human / customers who wrote;
- cart → order conversion per channel = customers who placed an order in the channel /
  customers whose message in the channel was an `add_to_cart`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import ChannelIdentity, Customer, Event, Message, Order, utcnow

TOP_UNMATCHED = 20


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
    unmatched: Counter[str] = Counter()
    shown: dict[str, str] = {}
    carts: dict[str, set[int]] = defaultdict(set)
    rows = await session.execute(
        select(Event.channel, Event.customer_id, Event.data).where(
            Event.kind == "intent", Event.created_at >= since
        )
    )
    for channel, customer_id, data in rows:
        name = str((data or {}).get("intent") or "nlu_fallback")
        intents[name] += 1
        if name == "nlu_fallback" and (data or {}).get("text"):
            text = str(data["text"]).strip()
            key = " ".join(text.lower().split())
            unmatched[key] += 1
            shown.setdefault(key, text)
        if name == "add_to_cart" and channel and customer_id:
            carts[channel].add(customer_id)
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
        "out_of_scope": {
            "count": intents.get("nlu_fallback", 0),
            "total": total_intents,
            "rate": _rate(intents.get("nlu_fallback", 0), total_intents),
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

"""Storing an inbound message before anything else happens (DESIGN.md steps 2–3).

The address resolves to its customer (created on first contact); the message is stored
with its dedup key, so a provider's retry is a duplicate, not a second message.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import metrics
from bot.hub import InProcessHub, customer_topic
from bot.messages import InboundMessage
from bot.store import repo
from bot.store.models import ChannelIdentity, Conversation, Customer, Message, utcnow


def clean_text(text: str) -> str:
    """Drop control characters (keep newlines and tabs) and lone surrogates; NFC; trim."""
    text = unicodedata.normalize("NFC", text.encode("utf-8", "replace").decode("utf-8"))
    return "".join(
        c for c in text if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cs")
    ).strip()


# Channel facts an adapter may pass in InboundMessage.meta that the core acts on.
CHANNEL_FACTS = (
    "proven_phone",
    "link_token",
    "foreign_contact",
    "sms_opt_out",
    "sms_opt_in",
    "display_name",
    "unsupported",
)
SEEN_RESOLUTION = timedelta(seconds=30)


@dataclass
class Stored:
    """A message just stored, with the context loaded to store it (reused to process it)."""

    message: Message
    customer: Customer
    conversation: Conversation
    identity: ChannelIdentity


async def store_inbound(
    session: AsyncSession, hub: InProcessHub, inbound: InboundMessage, max_chars: int
) -> Stored | None:
    """Store the message before anything else happens; None if it was stored before.

    Its text is cleaned and cut to `max_chars` (the cut is marked, so the reply says so).
    """
    text = clean_text(inbound.text or "")
    truncated = len(text) > max_chars
    found = await repo.identity_context(session, inbound.channel, inbound.address)
    if found is None:
        await repo.resolve_customer(
            session, inbound.channel, inbound.address, language=inbound.meta.get("language")
        )
        found = await repo.identity_context(session, inbound.channel, inbound.address)
        assert found is not None
    identity, customer, conversation = found
    now = utcnow()
    message = Message(
        customer_id=customer.id,
        conversation_id=conversation.id,
        direction="in",
        author="customer",
        channel=inbound.channel,
        address=inbound.address,
        text=text[:max_chars],
        payload=inbound_payload(inbound, truncated),
        provider_id=inbound.provider_id,
        delivery_status="received",
        created_at=now,
    )
    session.add(message)
    # The last active channel decides where proactive messages go.
    if customer.last_channel != inbound.channel:
        customer.last_channel = inbound.channel
    if now - identity.last_seen_at > SEEN_RESOLUTION:
        identity.last_seen_at = now
        customer.seen_at = now
    if identity.unreachable:
        identity.unreachable = False  # they wrote to us: reachable again
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        return None
    metrics.MESSAGES_IN.labels(inbound.channel).inc()
    await hub.publish(
        customer_topic(customer.id),
        {"type": "message", "message": repo.message_object(message)},
    )
    return Stored(message, customer, conversation, identity)


def inbound_payload(inbound: InboundMessage, truncated: bool) -> dict[str, Any] | None:
    """What the stored message keeps besides its text: a button press, channel facts."""
    payload: dict[str, Any] = {}
    if inbound.payload:
        payload["button_payload"] = inbound.payload[:1000]
    if truncated:
        payload["truncated"] = True
    if "client_message_id" in inbound.meta:
        payload["client_message_id"] = str(inbound.meta["client_message_id"])
    facts = {k: inbound.meta[k] for k in CHANNEL_FACTS if inbound.meta.get(k) is not None}
    if facts:
        payload["facts"] = facts
    if isinstance(inbound.meta.get("sequence"), int):
        # The provider's order (Telegram's update_id): one customer's messages that
        # arrive at once are answered in it, whatever order they were stored in.
        payload["sequence"] = inbound.meta["sequence"]
    return payload or None

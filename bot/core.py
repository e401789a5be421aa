"""The inbound pipeline (DESIGN.md steps 1–7) and the transactional outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.dialogue.engine import DialogueEngine, Reply, Turn, parse_payload
from bot.dialogue.keywords import fold
from bot.hub import InProcessHub
from bot.locks import CustomerLocks
from bot.messages import Button, Capabilities, DeliveryError, InboundMessage, OutboundMessage
from bot.rendering import render_for_channel
from bot.settings import Settings
from bot.store import repo
from bot.store.models import Customer, DialogueState, Message, utcnow

log = logging.getLogger(__name__)


class Interpreter(Protocol):
    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]: ...


class ChannelSender(Protocol):
    name: str
    capabilities: Capabilities

    async def send(self, message: OutboundMessage) -> str | None: ...


@dataclass
class Receipt:
    """What happened to one inbound message: stored as `message`, answered by `replies`."""

    customer_id: int
    message: dict[str, Any]
    replies: list[dict[str, Any]]
    duplicate: bool = False


def clean_text(text: str) -> str:
    """Drop control characters (keep newlines and tabs), normalise to NFC, trim."""
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()


def customer_topic(customer_id: int) -> str:
    return f"customer:{customer_id}"


AGENT_TOPIC = "agents"


class Core:
    """One dialogue core for every channel."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        locks: CustomerLocks,
        hub: InProcessHub,
        dialogue: DialogueEngine,
        interpreter: Interpreter,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.locks = locks
        self.hub = hub
        self.dialogue = dialogue
        self.interpreter = interpreter
        self.channels: dict[str, ChannelSender] = {}
        self._outbox_task: asyncio.Task[None] | None = None
        self._outbox_kick = asyncio.Event()

    def register_channel(self, channel: ChannelSender) -> None:
        self.channels[channel.name] = channel

    # -- inbound -------------------------------------------------------------------
    async def receive(self, inbound: InboundMessage) -> Receipt:
        """Store, process in order under the customer's lock, deliver the replies."""
        started = time.perf_counter()
        text = clean_text(inbound.text or "")
        truncated = len(text) > self.settings.max_message_chars
        text = text[: self.settings.max_message_chars]
        if inbound.provider_id:
            async with self.sessions() as session:
                existing = await repo.find_message_by_provider_id(
                    session, inbound.channel, inbound.provider_id
                )
                if existing is not None:
                    return await self._receipt(session, existing, duplicate=True)

        async with self.sessions() as session:
            customer, _ = await repo.resolve_customer(
                session, inbound.channel, inbound.address, language=inbound.meta.get("language")
            )
            message = await self._store_inbound(session, customer, inbound, text, truncated)
            if message is None:  # a retry raced us past the first check
                assert inbound.provider_id
                existing = await repo.find_message_by_provider_id(
                    session, inbound.channel, inbound.provider_id
                )
                assert existing is not None
                return await self._receipt(session, existing, duplicate=True)
            customer_id = message.customer_id
        metrics.MESSAGES_IN.labels(inbound.channel).inc()

        async with self.locks.hold(customer_id):
            await self.process_pending(customer_id)

        async with self.sessions() as session:
            stored = await session.get(Message, message.id)
            assert stored is not None
            receipt = await self._receipt(session, stored)
            pending = [r.id for r in await repo.replies_to(session, stored.id)
                       if r.delivery_status == "pending"]
        # Never hold a connection while delivering: delivery opens its own.
        await self.deliver(pending)
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)
        return receipt

    async def _store_inbound(
        self,
        session: AsyncSession,
        customer: Customer,
        inbound: InboundMessage,
        text: str,
        truncated: bool,
    ) -> Message | None:
        conversation = await repo.conversation_of(session, customer.id)
        payload: dict[str, Any] = {}
        if inbound.payload:
            payload["button_payload"] = inbound.payload[:1000]
        if truncated:
            payload["truncated"] = True
        if "client_message_id" in inbound.meta:
            payload["client_message_id"] = str(inbound.meta["client_message_id"])
        message = Message(
            customer_id=customer.id,
            conversation_id=conversation.id,
            direction="in",
            author="customer",
            channel=inbound.channel,
            address=inbound.address,
            text=text,
            payload=payload or None,
            provider_id=inbound.provider_id,
            delivery_status="received",
            created_at=utcnow(),
        )
        session.add(message)
        identity = await repo.find_identity(session, inbound.channel, inbound.address)
        now = utcnow()
        if identity is not None:
            identity.last_seen_at = now
        customer.last_channel = inbound.channel
        customer.seen_at = now
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return None
        await self.hub.publish(
            customer_topic(customer.id), {"type": "message", "message": repo.message_object(message)}
        )
        return message

    async def _receipt(
        self, session: AsyncSession, message: Message, duplicate: bool = False
    ) -> Receipt:
        replies = await repo.replies_to(session, message.id)
        return Receipt(
            customer_id=message.customer_id,
            message=repo.message_object(message),
            replies=[repo.message_object(r) for r in replies],
            duplicate=duplicate,
        )

    async def process_pending(self, customer_id: int) -> None:
        """Process every stored, unprocessed message of one customer, oldest first.

        Call with the customer's lock held. Whoever holds the lock drains the queue, so
        order holds even if the lock is not fair.
        """
        async with self.sessions() as session:
            pending = await repo.unprocessed_inbound(session, customer_id)
        for message in pending:
            try:
                await self._process_one(message.id)
            except Exception:
                log.exception("processing message %s failed", message.id)
                await self._mark_failed(message.id)

    async def _process_one(self, message_id: int) -> None:
        # Read and understand first, outside any write transaction: SQLite has one
        # writer, and the NLU must not hold it while other customers wait.
        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            if message is None or message.delivery_status != "received":
                return
            customer = await repo.live_customer(session, message.customer_id)
            assert customer is not None
            conversation = await repo.conversation_of(session, customer.id)
            if conversation.status in ("waiting_agent", "agent"):
                message.delivery_status = "processed"
                await session.commit()
                await self.hub.publish(
                    AGENT_TOPIC,
                    {"type": "message", "conversation_id": conversation.id,
                     "message": repo.message_object(message)},
                )
                return
            known_state = await session.get(DialogueState, customer.id)
            pending = known_state.pending_options if known_state else None
        parse = await self._understand(message, pending, customer)

        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            if message is None or message.delivery_status != "received":
                return
            message.delivery_status = "processed"
            customer = await repo.live_customer(session, message.customer_id)
            assert customer is not None
            conversation = await repo.conversation_of(session, customer.id)
            state = await repo.dialogue_state_of(session, customer.id)
            lang = self._language(customer, parse)
            turn = Turn(session, customer, conversation, state, parse, lang)
            if (message.payload or {}).get("truncated"):
                turn.replies.append(
                    Reply(
                        self.dialogue.responses.render(
                            "too_long", lang, max=self.settings.max_message_chars
                        )
                    )
                )
            replies = await self.dialogue.respond(turn)
            state.slots = dict(state.slots or {})
            repo.record_event(
                session,
                "intent",
                customer.id,
                message.channel,
                intent=turn.intent,
                confidence=float(parse.get("intent", {}).get("confidence") or 0.0),
                text=message.text[:200] if turn.intent == "nlu_fallback" else None,
            )
            for reply in replies:
                session.add(
                    Message(
                        customer_id=customer.id,
                        conversation_id=conversation.id,
                        direction="out",
                        author="bot",
                        channel=message.channel,
                        address=message.address,
                        text=reply.text,
                        payload={"buttons": [b.as_dict() for b in reply.buttons]},
                        in_reply_to_id=message.id,
                        delivery_status="pending",
                        created_at=utcnow(),
                    )
                )
            # Context changes and outgoing messages commit together (the outbox).
            await session.commit()

    async def _mark_failed(self, message_id: int) -> None:
        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            if message is not None and message.delivery_status == "received":
                message.delivery_status = "failed"
                message.last_error = "processing failed"
                await session.commit()

    async def _understand(
        self, message: Message, pending: dict[str, Any] | None, customer: Customer
    ) -> dict[str, Any]:
        """A button press, an option picked by number or title, or free text for the NLU."""
        button_payload = (message.payload or {}).get("button_payload")
        options = (pending or {}).get("buttons") or []
        if not button_payload and options:
            text = fold(message.text.strip().rstrip("."))
            if text.isdigit() and 1 <= int(text) <= len(options):
                button_payload = options[int(text) - 1]["payload"]
            else:
                button_payload = next(
                    (o["payload"] for o in options if fold(o["title"]) == text), None
                )
        if button_payload:
            parsed = parse_payload(button_payload)
            if parsed is not None:
                parsed["lang"] = None
                return parsed
        if not message.text:
            intent = {"name": "nlu_fallback", "confidence": 0.0}
            return {"text": "", "intent": intent, "intent_ranking": [intent], "entities": []}
        return await self.interpreter.aparse(message.text, customer.language)

    def _language(self, customer: Customer, parse: dict[str, Any]) -> str:
        if customer.language is None:
            detected = parse.get("lang")
            customer.language = detected if detected in ("pl", "en") else None
        return customer.language or self.settings.default_language

    # -- outbound ------------------------------------------------------------------
    async def send_proactive(
        self,
        customer_id: int,
        text: str,
        buttons: list[Button] | None = None,
        author: str = "bot",
        agent_id: int | None = None,
    ) -> dict[str, Any] | None:
        """A message the customer did not ask for: to their last active channel only."""
        async with self.sessions() as session:
            customer = await repo.live_customer(session, customer_id)
            if customer is None:
                return None
            conversation = await repo.conversation_of(session, customer.id)
            identity = await repo.last_reachable_identity(session, customer)
            message = Message(
                customer_id=customer.id,
                conversation_id=conversation.id,
                direction="out",
                author=author,
                channel=identity.channel if identity else (customer.last_channel or "webchat"),
                address=identity.address if identity else None,
                text=text,
                payload={"buttons": [b.as_dict() for b in buttons or []]},
                delivery_status="pending" if identity else "suppressed",
                agent_id=agent_id,
                created_at=utcnow(),
            )
            session.add(message)
            await session.commit()
            obj = repo.message_object(message)
        if identity is not None:
            await self.deliver([message.id])
        return obj

    async def deliver(self, message_ids: list[int]) -> None:
        for message_id in message_ids:
            await self._deliver_one(message_id)

    async def _deliver_one(self, message_id: int) -> None:
        async with self.sessions() as session:
            if not await repo.claim_for_delivery(session, message_id):
                return
            message = await session.get(Message, message_id)
            assert message is not None
            outbound = repo.outbound_of(message)
        channel = self.channels.get(outbound.channel)
        status, error, retry_after, provider_id = "sent", None, None, None
        permanent = False
        if channel is None:
            status, error = "failed", f"no adapter for channel {outbound.channel!r}"
        else:
            try:
                provider_id = await channel.send(render_for_channel(outbound, channel.capabilities))
            except DeliveryError as exc:
                error, retry_after, permanent = str(exc), exc.retry_after, exc.permanent
                status = "failed" if permanent else "pending"
            except Exception as exc:  # a bug or an unexpected network error: retry
                log.exception("sending message %s failed", message_id)
                error, status = repr(exc), "pending"
        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            assert message is not None
            message.attempts += 1
            message.last_error = error
            if provider_id and not message.provider_id:
                message.provider_id = provider_id
            if status == "pending" and message.attempts >= self.settings.outbox_max_attempts:
                status = "failed"
            if status == "pending":
                delay = retry_after or (
                    self.settings.outbox_retry_base_seconds * 2 ** (message.attempts - 1)
                )
                delay *= 1 + random.random() * 0.1  # jitter
                message.next_attempt_at = utcnow() + timedelta(seconds=delay)
                self._outbox_kick.set()
            message.delivery_status = status
            if permanent and message.address:
                # Blocked the bot, invalid number: never try this address again.
                identity = await repo.find_identity(session, message.channel, message.address)
                if identity is not None:
                    identity.unreachable = True
            await session.commit()
            obj = repo.message_object(message)
        metrics.MESSAGES_OUT.labels(outbound.channel, status).inc()
        if status == "sent":
            await self.hub.publish(
                customer_topic(outbound.customer_id), {"type": "message", "message": obj}
            )

    # -- background work -----------------------------------------------------------
    async def start(self) -> None:
        async with self.sessions() as session:
            released = await repo.release_stuck_sending(session)
            if released:
                log.info("returned %d interrupted deliveries to the outbox", released)
        self._outbox_task = asyncio.create_task(self._outbox_loop())

    async def stop(self) -> None:
        if self._outbox_task:
            self._outbox_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._outbox_task

    async def _outbox_loop(self) -> None:
        while True:
            try:
                async with self.sessions() as session:
                    due = await repo.due_outbox(session, utcnow())
                await self.deliver(due)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed")
            self._outbox_kick.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._outbox_kick.wait(), timeout=1.0)

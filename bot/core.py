"""The inbound pipeline (DESIGN.md steps 1–7) and the transactional outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
from bot.handoff import SupportHours, start_handoff
from bot.hub import AGENT_TOPIC, InProcessHub, customer_topic
from bot.identity import IdentityLinker, LinkLimits
from bot.locks import CustomerLocks
from bot.messages import Button, InboundMessage
from bot.outbox import ChannelSender, Outbox
from bot.settings import Settings
from bot.store import repo
from bot.store.models import Customer, DialogueState, Message, utcnow
from bot.tasks import cancel_and_wait

log = logging.getLogger(__name__)


class Interpreter(Protocol):
    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Accepted:
    """An inbound message committed to the store (or found there: a provider's retry)."""

    customer_id: int
    message_id: int
    duplicate: bool = False


@dataclass
class Receipt:
    """What happened to one inbound message: stored as `message`, answered by `replies`."""

    customer_id: int
    message: dict[str, Any]
    replies: list[dict[str, Any]]
    duplicate: bool = False


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
# How often, and after how long, stored messages nobody is answering get answered here.
UNANSWERED_SWEEP_SECONDS = 15.0


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
        self.identity = IdentityLinker(
            dialogue.responses,
            self.deep_links,
            self.phone_channel,
            LinkLimits(
                sms_prefixes=tuple(
                    p.strip() for p in settings.sms_code_prefixes.split(",") if p.strip()
                ),
                wrong_codes_per_window=settings.link_wrong_codes_limit,
            ),
        )
        dialogue.register("link_channels", self.identity.start_linking)
        dialogue.register("human_handoff", self._ask_for_human)
        self.support_hours = SupportHours.from_settings(settings)
        self.outbox = Outbox(settings, sessions, hub, self.channels)
        self._sweep_task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def register_channel(self, channel: ChannelSender) -> None:
        self.channels[channel.name] = channel

    async def _ask_for_human(self, turn: Turn) -> None:
        turn.handoff_reason = "customer_request"

    async def _hand_off(self, turn: Turn) -> bool:
        """Queue the conversation for a human and tell the customer what happens next."""
        reason = turn.handoff_reason or "customer_request"
        if not await start_handoff(turn.session, turn.conversation, reason):
            turn.replies.append(Reply(self.dialogue.responses.render("handoff_already", turn.lang)))
            return False
        if self.support_hours.open_at(utcnow()):
            text = self.dialogue.responses.render("handoff_waiting", turn.lang)
        else:
            text = self.dialogue.responses.render(
                "handoff_after_hours", turn.lang, hours=self.support_hours.describe()
            )
        turn.replies.append(Reply(text))
        return True

    def deep_links(self, token: str) -> list[tuple[str, str]]:
        """(label, url) of every channel that can open a conversation from a link token."""
        links = []
        for channel in self.channels.values():
            make = getattr(channel, "deep_link", None)
            url = make(token) if make else None
            if url:
                links.append((getattr(channel, "label", channel.name), url))
        return links

    def phone_channel(self) -> str | None:
        """The channel whose addresses are phone numbers (SMS), if one is configured."""
        return next(
            (n for n, c in self.channels.items() if getattr(c, "addresses_are_phones", False)),
            None,
        )

    # -- inbound -------------------------------------------------------------------
    async def receive(self, inbound: InboundMessage) -> Receipt:
        """Store, process in order under the customer's lock, deliver the replies."""
        started = time.perf_counter()
        text = clean_text(inbound.text or "")
        truncated = len(text) > self.settings.max_message_chars
        text = text[: self.settings.max_message_chars]

        async with self.sessions() as session:
            stored = await self._store_inbound(session, inbound, text, truncated)
            if stored is not None:
                message_id, customer_id = stored.id, stored.customer_id
                metrics.MESSAGES_IN.labels(inbound.channel).inc()
                # The same session goes on: what storing loaded need not be read again.
                async with self.locks.hold(customer_id):
                    handled = await self.process_pending(customer_id, session)
                queued = session.info.pop("deliver_after", [])
                # A failed message rolled the session back: loaded objects are stale.
                stale = session.info.pop("rolled_back", False)
        if stored is None:  # already stored: a retried webhook or a resent message
            return await self._answer_duplicate(inbound)
        message = stored

        replies = handled.get(message_id)
        if replies is None or stale:  # processed by an earlier lock holder, or failed
            async with self.sessions() as session:
                reloaded = await session.get(Message, message_id)
                assert reloaded is not None
                replies = await repo.replies_to(session, message_id)
                message = reloaded
        # Never hold a connection while delivering: delivery opens its own.
        await self.deliver([r.id for r in replies if r.delivery_status == "pending"] + queued)
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)
        return Receipt(
            customer_id=message.customer_id,
            message=repo.message_object(message),
            replies=[repo.message_object(r) for r in replies],
        )

    async def accept(self, inbound: InboundMessage) -> Accepted:
        """Store the message (its dedup key included) and return: a webhook answers its
        provider after this, so a crash can no longer lose what was acknowledged. The
        message is answered by `answer_pending` (or, after a crash, on the next start)."""
        text = clean_text(inbound.text or "")
        truncated = len(text) > self.settings.max_message_chars
        text = text[: self.settings.max_message_chars]
        async with self.sessions() as session:
            stored = await self._store_inbound(session, inbound, text, truncated)
            session.info.pop("loaded", None)
            if stored is not None:
                metrics.MESSAGES_IN.labels(inbound.channel).inc()
                return Accepted(stored.customer_id, stored.id)
        assert inbound.provider_id  # only a provider id can make a message a duplicate
        async with self.sessions() as session:
            existing = await repo.find_message_by_provider_id(
                session, inbound.channel, inbound.provider_id
            )
            assert existing is not None
            return Accepted(existing.customer_id, existing.id, duplicate=True)

    async def answer_pending(self, customer_id: int) -> None:
        """Answer the customer's stored, unprocessed messages in order, then deliver."""
        async with self.locks.hold(customer_id):
            async with self.sessions() as session:
                handled = await self.process_pending(customer_id, session)
                queued = session.info.pop("deliver_after", [])
        replies = [
            r.id for rows in handled.values() for r in rows if r.delivery_status == "pending"
        ]
        await self.deliver(replies + queued)

    async def _answer_duplicate(self, inbound: InboundMessage) -> Receipt:
        assert inbound.provider_id
        async with self.sessions() as session:
            existing = await repo.find_message_by_provider_id(
                session, inbound.channel, inbound.provider_id
            )
            assert existing is not None
            if existing.delivery_status != "received":
                return await self._receipt(session, existing, duplicate=True)
        # The first copy is still being answered: wait for it, answer the same.
        async with self.locks.hold(existing.customer_id):
            await self.process_pending(existing.customer_id)
        self.outbox.kick()
        async with self.sessions() as session:
            return await self._receipt(session, existing, duplicate=True)

    async def _store_inbound(
        self, session: AsyncSession, inbound: InboundMessage, text: str, truncated: bool
    ) -> Message | None:
        """Store the message before anything else happens; None if it was stored before."""
        found = await repo.identity_context(session, inbound.channel, inbound.address)
        if found is None:
            await repo.resolve_customer(
                session, inbound.channel, inbound.address, language=inbound.meta.get("language")
            )
            found = await repo.identity_context(session, inbound.channel, inbound.address)
            assert found is not None
        identity, customer, conversation = found
        # Processing follows in this session: keep what it needs loaded (the identity
        # map holds objects weakly).
        session.info["loaded"] = (customer, conversation, identity)
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
        now = utcnow()
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
        await self.hub.publish(
            customer_topic(customer.id),
            {"type": "message", "message": repo.message_object(message)},
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

    async def process_pending(
        self, customer_id: int, session: AsyncSession | None = None
    ) -> dict[int, list[Message]]:
        """Process every stored, unprocessed message of one customer, oldest first.

        Call with the customer's lock held. Whoever holds the lock drains the queue, so
        order holds even if the lock is not fair. Returns the replies per message id.
        """
        async with contextlib.AsyncExitStack() as stack:
            if session is None:
                session = await stack.enter_async_context(self.sessions())
            handled: dict[int, list[Message]] = {}
            while True:
                pending = [
                    m.id
                    for m in await repo.unprocessed_inbound(session, customer_id)
                    if m.id not in handled
                ]
                for message_id in pending:
                    try:
                        handled[message_id] = await self._process_one(message_id, session)
                    except Exception:
                        log.exception("processing message %s failed", message_id)
                        await session.rollback()
                        session.info["rolled_back"] = True
                        await self._mark_failed(message_id)
                        handled[message_id] = []
                # A join moved the other customer's waiting messages here: answer them too.
                if not pending or not session.info.pop("drain_again", False):
                    return handled

    async def _process_one(self, message_id: int, session: AsyncSession) -> list[Message]:
        message = await session.get(Message, message_id)
        if message is None or message.delivery_status != "received":
            return []
        customer = await repo.live_customer(session, message.customer_id)
        assert customer is not None
        conversation = await repo.conversation_of(session, customer.id)
        with_agent = conversation.status in ("waiting_agent", "agent")
        state = await session.get(DialogueState, customer.id)
        if with_agent:
            parse: dict[str, Any] = {
                "text": message.text,
                "intent": {"name": "with_agent", "confidence": 1.0},
            }
        else:
            # Understand before writing anything: SQLite has one writer, and the NLU
            # must not hold it while other customers wait.
            parse = await self._understand(
                message, state.pending_options if state else None, customer
            )
        message.delivery_status = "processed"
        if state is None:
            state = DialogueState(customer_id=customer.id, slots={})
            session.add(state)
        lang = self._language(customer, parse)
        turn = Turn(session, customer, conversation, state, parse, lang)
        if with_agent:
            # A human has the conversation: the bot says nothing, but what the
            # channel proved (a shared phone, STOP) still counts.
            await self.identity.before_dialogue(turn, message, typed_codes=False)
            replies = [r for r in turn.replies if turn.reply_extra.get("consent_confirmation")]
        elif await self.identity.before_dialogue(turn, message):
            replies = turn.replies
            buttons = replies[-1].buttons if replies else []
            state.pending_options = {"buttons": [b.as_dict() for b in buttons]} if buttons else None
        else:
            if (message.payload or {}).get("truncated"):
                turn.replies.append(
                    Reply(
                        self.dialogue.responses.render(
                            "too_long", lang, max=self.settings.max_message_chars
                        )
                    )
                )
            # Writes wait for the commit: SQLite's single write lock is then held for
            # the commit alone, not through the dialogue (fair to other customers).
            with session.no_autoflush:
                replies = await self.dialogue.respond(turn)
        handed_off = await self._hand_off(turn) if turn.handoff_reason else False
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
        channel = self.channels.get(message.channel)
        # A channel whose store is its delivery (the web chat) is done at commit.
        done = bool(getattr(channel, "delivers_from_store", False))
        rows = [
            Message(
                customer_id=customer.id,
                conversation_id=conversation.id,
                direction="out",
                author="bot",
                channel=message.channel,
                address=message.address,
                text=reply.text,
                payload={
                    "buttons": [b.as_dict() for b in reply.buttons],
                    **turn.reply_extra,
                    **reply.extra,
                },
                in_reply_to_id=message.id,
                delivery_status="sent" if done else "pending",
                created_at=utcnow(),
            )
            for reply in replies
        ]
        session.add_all(rows)
        # Context changes and outgoing messages commit together (the outbox).
        await session.commit()
        joins = session.info.pop("joined", [])
        for loser_id, survivor_id in joins:
            await self.hub.publish(
                customer_topic(loser_id), {"type": "merged", "customer_id": survivor_id}
            )
            # Messages of the other customer still waiting moved over: answer them too.
            session.info.setdefault("drain_again", True)
        if handed_off:
            await self.hub.publish(
                AGENT_TOPIC,
                {"type": "queue", "conversation_id": conversation.id, "status": "waiting_agent"},
            )
        if with_agent:
            await self.hub.publish(
                AGENT_TOPIC,
                {
                    "type": "message",
                    "conversation_id": conversation.id,
                    "message": {**repo.message_object(message), "customer_id": customer.id},
                },
            )
        # Messages the turn queued for another address (an SMS code to a typed phone) go
        # out once the caller has released its connection (the outbox loop is the backstop).
        session.info.setdefault("deliver_after", []).extend(m.id for m in turn.outbox)
        if done:
            for row in rows:
                metrics.MESSAGES_OUT.labels(row.channel, "sent").inc()
                await self.hub.publish(
                    customer_topic(row.customer_id),
                    {"type": "message", "message": repo.message_object(row)},
                )
        return rows

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
            if text.isdecimal() and text.isascii() and 1 <= int(text) <= len(options):
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

    # -- outbound (see bot.outbox) -------------------------------------------------
    async def send_proactive(
        self,
        customer_id: int,
        text: str,
        buttons: list[Button] | None = None,
        author: str = "bot",
        agent_id: int | None = None,
    ) -> dict[str, Any] | None:
        """A message the customer did not ask for: to their last active channel only."""
        return await self.outbox.send_proactive(customer_id, text, buttons, author, agent_id)

    async def deliver(self, message_ids: list[int]) -> None:
        await self.outbox.deliver(message_ids)

    # -- background work -----------------------------------------------------------
    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.outbox.start()
        self._sweep_task = asyncio.create_task(self._answer_interrupted())

    async def _answer_interrupted(self) -> None:
        """Messages stored but not answered — acknowledged by an instance that then died —
        get answered: all of them at start, then any left waiting for a sweep interval."""
        stored_before = None
        while True:
            try:
                async with self.sessions() as session:
                    customers = await repo.customers_with_unprocessed(session, stored_before)
                for customer_id in customers:
                    await self.answer_pending(customer_id)
                if customers:
                    log.info("answered messages of %d customers left unanswered", len(customers))
            except Exception:
                log.exception("answering interrupted messages failed")
            await asyncio.sleep(UNANSWERED_SWEEP_SECONDS)
            stored_before = utcnow() - timedelta(seconds=UNANSWERED_SWEEP_SECONDS)

    async def stop(self) -> None:
        await cancel_and_wait(self._sweep_task)
        await self.outbox.stop()

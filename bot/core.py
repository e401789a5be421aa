"""The inbound pipeline (DESIGN.md steps 1–7) and the transactional outbox.

The core stores a message, loads the customer's context, asks the dialogue for the turn's
outcome (`Dialogue.take_turn`), writes that outcome in one transaction and delivers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.channels import Channels, ChannelSender
from bot.dialogue.opening import read_past_opening
from bot.dialogue.questions import read_each_question
from bot.dialogue.responses import Responses
from bot.dialogue.turn import Reply, TurnContext, TurnOutcome, parse_payload, payload_for
from bot.domain.handoff import (
    AGENT_STATES,
    LEFT_MESSAGE,
    RECORDED_AS_SAID,
    SupportHours,
    bot_stays_silent,
    keep_message_for_team,
    start_handoff,
)
from bot.domain.options import picked_option, remember_options
from bot.domain.text import replace_lone_surrogates
from bot.hub import AGENT_TOPIC, InProcessHub, customer_topic
from bot.locks import CustomerLocks, Hold, LockTimeout
from bot.messages import Button, InboundMessage
from bot.observability import current_request_id
from bot.outbox import Outbox
from bot.presence import AgentPresence
from bot.settings import Settings
from bot.store import fencing, repo
from bot.store.fencing import FencedOut
from bot.store.models import (
    ChannelIdentity,
    Conversation,
    Customer,
    DialogueState,
    Message,
    utcnow,
)
from bot.tasks import cancel_and_wait
from bot.uncertain_sends import note_event
from intents.language import detect_language
from knowledge.catalog import Catalog

log = logging.getLogger(__name__)


class Interpreter(Protocol):
    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]: ...


class Dialogue(Protocol):
    """All the core asks of the dialogue: the outcome of one stored message (and the
    templates and catalog it speaks with, for messages the core sends itself)."""

    @property
    def responses(self) -> Responses: ...

    @property
    def catalog(self) -> Catalog: ...

    async def take_turn(self, message: Message, context: TurnContext) -> TurnOutcome: ...


@dataclass(frozen=True)
class Accepted:
    """An inbound message committed to the store (or found there: a provider's retry)."""

    customer_id: int
    message_id: int
    duplicate: bool = False
    # Answered too, in the same transaction: the outbox rows to deliver now (None: only
    # stored, to be answered by `Core.answer_pending`).
    deliver: list[int] | None = None


@dataclass
class Receipt:
    """What happened to one inbound message: stored as `message`, answered by `replies`."""

    customer_id: int
    message: dict[str, Any]
    replies: list[dict[str, Any]]
    duplicate: bool = False


@dataclass
class Stored:
    """A message just stored, with the context loaded to store it (reused to process it)."""

    message: Message
    customer: Customer
    conversation: Conversation
    identity: ChannelIdentity


@dataclass
class Processed:
    """One message processed: its stored replies, messages for other addresses to deliver
    after the caller lets go of its connection, and whether customers were joined."""

    replies: list[Message] = field(default_factory=list)
    deliver_after: list[int] = field(default_factory=list)
    joined: bool = False


@dataclass
class Drained:
    """Every message a lock holder processed, and whether a failure rolled its session back
    (objects it loaded are then stale)."""

    replies: dict[int, list[Message]] = field(default_factory=dict)
    deliver_after: list[int] = field(default_factory=list)
    rolled_back: bool = False


def clean_text(text: str) -> str:
    """Drop control characters (keep newlines and tabs); lone surrogates become U+FFFD
    (logged: a client sends broken UTF-16); NFC; trim."""
    text, replaced = replace_lone_surrogates(text)
    if replaced:
        log.warning("a message had %d lone UTF-16 surrogate(s), replaced by U+FFFD", replaced)
    text = unicodedata.normalize("NFC", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc").strip()


# Channel facts an adapter may pass in InboundMessage.meta that the core acts on.
CHANNEL_FACTS = (
    "proven_phone",
    "link_token",
    "foreign_contact",
    "sms_opt_out",
    "sms_opt_in",
    "display_name",
    "unsupported",
    "client_address",
)
SEEN_RESOLUTION = timedelta(seconds=30)
# Web chat addresses whose customer is remembered between messages (then forgotten at once).
MAX_REMEMBERED_ADDRESSES = 50_000
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
        dialogue: Dialogue,
        interpreter: Interpreter,
        channels: Channels | None = None,
        presence: AgentPresence | None = None,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.locks = locks
        self.hub = hub
        self.dialogue = dialogue
        self.interpreter = interpreter
        self.channels = channels if channels is not None else Channels()
        self.support_hours = SupportHours.from_settings(settings)
        # Who of the team is at work now: what a customer asking for a person is told.
        self.presence = presence if presence is not None else AgentPresence()
        self.outbox = Outbox(settings, sessions, hub, self.channels)
        self._sweep_task: asyncio.Task[None] | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        # (channel, address) → the customer it was last found to belong to, live, by a web
        # chat turn under the lock: the next message of the address skips that read. The
        # turn's own query checks it (a join or an erasure since: stored first instead).
        self._address_customers: dict[tuple[str, str], int] = {}

    def register_channel(self, channel: ChannelSender) -> None:
        self.channels.add(channel)

    # -- inbound -------------------------------------------------------------------
    async def receive(self, inbound: InboundMessage) -> Receipt:
        """Store, process in order under the customer's lock, deliver the replies.

        On a channel whose client is acknowledged with the replies and resends what was not
        answered (the web chat), the message is stored together with its turn: one
        transaction for the message, its dedup key, the context changes and the replies —
        when the lock is in-process (first come, first served, never expires) and nothing
        of the customer's waits before it. Otherwise the message is stored first, then
        processed.
        """
        started = time.perf_counter()
        channel = self.channels.get(inbound.channel)
        if (
            getattr(channel, "acknowledges_with_reply", False)
            and not self.locks.fenced
            and not inbound.meta.get("throttled")
        ):
            receipt = await self._receive_in_one(inbound, started)
            if receipt is not None:
                return receipt
        return await self._receive_stored_first(inbound, started)

    async def _receive_stored_first(self, inbound: InboundMessage, started: float) -> Receipt:
        async with self.sessions() as session:
            stored = await self._store_inbound(session, inbound)
            if stored is not None:
                message_id = stored.message.id
                # The same session goes on: what storing loaded need not be read again.
                try:
                    async with self.locks.hold(stored.customer.id) as hold:
                        drained = await self.process_pending(
                            stored.customer.id, session, stored, hold
                        )
                except LockTimeout:
                    # Another turn of this customer holds the lock for long: it (or the
                    # sweep) answers this stored message; the replies come live.
                    drained = Drained(rolled_back=True)
        if stored is None:  # already stored: a retried webhook or a resent message
            return await self._answer_duplicate(inbound)
        return await self._receipt_of(message_id, stored.message, drained, started)

    async def _receipt_of(
        self, message_id: int, message: Message, drained: Drained, started: float
    ) -> Receipt:
        """The receipt of a stored message its lock holder processed (or left to another;
        then `message` may be stale and is read again)."""
        replies = drained.replies.get(message_id)
        if replies is None or drained.rolled_back:  # an earlier lock holder's, or failed
            async with self.sessions() as session:
                reloaded = await session.get(Message, message_id)
                assert reloaded is not None
                replies = await repo.replies_to(session, message_id)
                message = reloaded
        others = [
            r.id
            for message_id_, rows in drained.replies.items()
            if message_id_ != message_id
            for r in rows
            if r.delivery_status == "pending"
        ]
        # Never hold a connection while delivering: delivery opens its own.
        pending = [r.id for r in replies if r.delivery_status == "pending"]
        await self.deliver(pending + others + drained.deliver_after)
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)
        return Receipt(
            customer_id=message.customer_id,
            message=repo.message_object(message),
            replies=[repo.message_object(r) for r in replies],
        )

    async def _receive_in_one(self, inbound: InboundMessage, started: float) -> Receipt | None:
        """The message stored with its turn in one transaction; None when it must be stored
        first instead (a join left this address on another customer, a lock wait too long)."""
        taken = await self._stored_with_turn(inbound, wait=True)
        if taken == "duplicate":  # a resend: answered with what was stored
            return await self._answer_duplicate(inbound)
        if taken == "store first":
            return None
        return await self._receipt_of(*taken, started)

    async def _stored_with_turn(
        self, inbound: InboundMessage, *, wait: bool
    ) -> tuple[int, Message, Drained] | Literal["duplicate", "store first"]:
        """Store the message with its turn in one transaction: (its id, it, what was
        processed). "duplicate": it was stored before; "store first": it must be stored on
        its own first (a join left this address on another customer, a lock wait too long
        or, unless `wait`, the customer's lock is taken now).

        Under the lock, one query reads the context and says whether anything of the
        customer waits unanswered (then this message is stored and the queue drained in
        order) or whether it is stored already.
        """
        address = (inbound.channel, inbound.address)
        async with self.sessions() as session:
            customer_id = self._address_customers.get(address)
            if customer_id is None:
                customer_id = await repo.customer_of_address(session, *address)
            if customer_id is None:  # first contact (created here), or a joined customer
                customer_id = (await self._identity_context(session, inbound))[1].id
            if not wait and self.locks.busy(customer_id):
                return "store first"
            try:
                async with self.locks.hold(customer_id) as hold:
                    row = await repo.turn_context_of_address(
                        session, customer_id, inbound.channel, inbound.address, inbound.provider_id
                    )
                    identity = self._identity_of(address, customer_id, row)
                    if row is not None and row.duplicate:
                        return "duplicate"
                    if row is None or identity is None:
                        return "store first"  # a join or an erasure since
                    if row.unanswered or row.conversation is None:
                        # Others wait before it: stored, then answered in store order.
                        stored = await self._store_inbound(session, inbound)
                        if stored is None:
                            return "duplicate"
                        message_id = stored.message.id
                        drained = await self.process_pending(customer_id, session, stored, hold)
                        return message_id, stored.message, drained
                    fused = await self._turn_in_one(session, inbound, identity, row, hold)
                    return "duplicate" if fused is None else fused
            except LockTimeout:
                return "store first"

    def _identity_of(
        self, address: tuple[str, str], customer_id: int, row: repo.TurnRow | None
    ) -> ChannelIdentity | None:
        """The address's identity read under the lock, if it belongs to the live customer
        locked (remembered then for its next message; forgotten otherwise)."""
        if (
            row is None
            or row.identity is None
            or row.identity.customer_id != customer_id
            or row.customer.merged_into_id is not None
        ):
            self._address_customers.pop(address, None)
            return None
        if len(self._address_customers) >= MAX_REMEMBERED_ADDRESSES:
            self._address_customers.clear()
        self._address_customers[address] = customer_id
        return row.identity

    async def _identity_context(
        self, session: AsyncSession, inbound: InboundMessage
    ) -> tuple[ChannelIdentity, Customer, Conversation]:
        """The address's identity, customer and conversation; the customer is created on
        first contact (in a commit of its own)."""
        found = await repo.identity_context(session, inbound.channel, inbound.address)
        if found is None:
            await repo.resolve_customer(
                session, inbound.channel, inbound.address, language=inbound.meta.get("language")
            )
            found = await repo.identity_context(session, inbound.channel, inbound.address)
            assert found is not None
        return found

    async def _turn_in_one(
        self,
        session: AsyncSession,
        inbound: InboundMessage,
        identity: ChannelIdentity,
        row: repo.TurnRow,
        hold: Hold,
    ) -> tuple[int, Message, Drained] | None:
        """Understand the message, take the turn, then store the message, the turn's
        changes and its replies in one commit (Core inserts; SQLite's writer is taken at
        the first of them, after the NLU and the dialogue). None: it was stored before."""
        customer, conversation = row.customer, row.conversation
        assert conversation is not None
        message = self._new_inbound(inbound, customer.id, conversation.id, "processed")
        drained = Drained()
        try:
            context = await self._context_of(session, message, row)
            turn_started = time.perf_counter()
            outcome = await self.dialogue.take_turn(message, context)
            # Changed after the dialogue, so that none of its reads flushes a write early.
            self._touch(identity, customer, inbound.channel, message.created_at)
            replies, outgoing, handed_off, notes = await self._write_outcome(
                message, context, outcome, hold
            )
        except Exception as exc:
            await session.rollback()
            # Stored on its own then, and answered as every stored message is: processed
            # again, or — when the turn itself failed — marked failed with an apology.
            stored = await self._store_inbound(session, inbound)
            if stored is None:  # a copy was stored meanwhile: a duplicate
                return None
            message_id = stored.message.id
            if isinstance(exc, IntegrityError):
                drained = await self.process_pending(customer.id, session, stored, hold)
                return message_id, stored.message, drained
            log.exception("processing a message of customer %s failed", customer.id)
            drained.replies[message_id] = await self._apologise(message_id)
            return message_id, stored.message, drained
        metrics.TURN_SECONDS.labels(message.channel).observe(time.perf_counter() - turn_started)
        metrics.MESSAGES_IN.labels(inbound.channel).inc()
        event = {"type": "message", "message": repo.message_object(message)}
        await self.hub.publish(customer_topic(customer.id), event)
        await self._announce(message, context, outcome, replies, handed_off, notes)
        drained.replies[message.id] = replies
        drained.deliver_after.extend(m.id for m in outgoing)
        if outcome.joins:
            # A join moved the other customer's waiting messages here: answer them too.
            more = await self.process_pending(customer.id, session, None, hold)
            drained.replies.update(more.replies)
            drained.deliver_after.extend(more.deliver_after)
        return message.id, message, drained

    async def accept_and_answer(self, inbound: InboundMessage) -> Accepted:
        """`accept`, with the message's turn in the same transaction when it can go at once:
        the message, its dedup key, the context changes, the replies and their outbox rows
        commit together, and `Accepted.deliver` lists the rows to deliver (after the
        provider has its answer; the outbox retries them after a crash).

        Only with an in-process lock that nobody holds or waits for now and nothing of the
        customer's waiting before it: otherwise the message is only stored, so a webhook
        never waits behind another turn, and `answer_pending` answers it in order.
        """
        if self.locks.fenced or inbound.meta.get("throttled"):
            return await self.accept(inbound)
        started = time.perf_counter()
        taken = await self._stored_with_turn(inbound, wait=False)
        if taken == "duplicate":
            return await self._accepted_before(inbound)
        if taken == "store first":
            return await self.accept(inbound)
        message_id, message, drained = taken
        deliver = [
            r.id
            for rows in drained.replies.values()
            for r in rows
            if r.delivery_status == "pending"
        ]
        metrics.PROCESSING_SECONDS.observe(time.perf_counter() - started)
        return Accepted(message.customer_id, message_id, deliver=deliver + drained.deliver_after)

    async def accept(self, inbound: InboundMessage) -> Accepted:
        """Store the message (its dedup key included) and return: a webhook answers its
        provider after this, so a crash can no longer lose what was acknowledged. The
        message is answered by `answer_pending` (or, after a crash, on the next start)."""
        async with self.sessions() as session:
            stored = await self._store_inbound(session, inbound)
            if stored is not None:
                return Accepted(stored.customer.id, stored.message.id)
        return await self._accepted_before(inbound)

    async def _accepted_before(self, inbound: InboundMessage) -> Accepted:
        """The copy of a message stored before (a provider's retry)."""
        assert inbound.provider_id  # only a provider id can make a message a duplicate
        async with self.sessions() as session:
            existing = await repo.find_message_by_provider_id(
                session, inbound.channel, inbound.provider_id
            )
            assert existing is not None
            return Accepted(existing.customer_id, existing.id, duplicate=True)

    async def answer_pending(self, customer_id: int) -> None:
        """Answer the customer's stored, unprocessed messages in order, then deliver."""
        try:
            async with self.locks.hold(customer_id) as hold:
                drained = await self.process_pending(customer_id, hold=hold)
        except LockTimeout:
            return  # the holder answers them (logged by the lock)
        replies = [
            r.id
            for rows in drained.replies.values()
            for r in rows
            if r.delivery_status == "pending"
        ]
        await self.deliver(replies + drained.deliver_after)

    async def answer_left_unanswered(self, customer_id: int, message_id: int) -> None:
        """A message the bot stayed silent on while a person had the conversation, answered
        now that the bot has it back: taken again as if just received."""
        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            if (
                message is None
                or message.customer_id != customer_id
                or message.delivery_status != "processed"
            ):
                return
            message.delivery_status = "received"
            await session.commit()
        await self.answer_pending(customer_id)

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
        with contextlib.suppress(LockTimeout):
            async with self.locks.hold(existing.customer_id) as hold:
                await self.process_pending(existing.customer_id, hold=hold)
        self.outbox.kick()
        async with self.sessions() as session:
            return await self._receipt(session, existing, duplicate=True)

    async def _store_inbound(self, session: AsyncSession, inbound: InboundMessage) -> Stored | None:
        """Store the message before anything else happens; None if it was stored before.

        Its text is cleaned and cut to MAX_MESSAGE_CHARS (the cut is marked: the reply says so).
        """
        identity, customer, conversation = await self._identity_context(session, inbound)
        await repo.lock_for_new_message(session, customer.id)
        # Over its message rate (the adapter decides): kept, never answered.
        status = "throttled" if inbound.meta.get("throttled") else "received"
        message = self._new_inbound(inbound, customer.id, conversation.id, status)
        session.add(message)
        self._touch(identity, customer, inbound.channel, message.created_at)
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
            return None
        metrics.MESSAGES_IN.labels(inbound.channel).inc()
        await self.hub.publish(
            customer_topic(customer.id),
            {"type": "message", "message": repo.message_object(message)},
        )
        return Stored(message, customer, conversation, identity)

    def _new_inbound(
        self, inbound: InboundMessage, customer_id: int, conversation_id: int, status: str
    ) -> Message:
        """The row of an inbound message: its text cleaned and cut to MAX_MESSAGE_CHARS (the
        cut is marked: the reply says so)."""
        text = clean_text(inbound.text or "")
        truncated = len(text) > self.settings.max_message_chars
        return Message(
            customer_id=customer_id,
            conversation_id=conversation_id,
            direction="in",
            author="customer",
            channel=inbound.channel,
            address=inbound.address,
            text=text[: self.settings.max_message_chars],
            payload=self._inbound_payload(inbound, truncated),
            provider_id=inbound.provider_id,
            delivery_status=status,
            created_at=utcnow(),
        )

    @staticmethod
    def _touch(identity: ChannelIdentity, customer: Customer, channel: str, now: datetime) -> None:
        """They wrote: the channel is their last active one, the address is reachable."""
        # The last active channel decides where proactive messages go.
        if customer.last_channel != channel:
            customer.last_channel = channel
        if now - identity.last_seen_at > SEEN_RESOLUTION:
            identity.last_seen_at = now
            customer.seen_at = now
        if identity.unreachable:
            identity.unreachable = False  # they wrote to us: reachable again

    @staticmethod
    def _inbound_payload(inbound: InboundMessage, truncated: bool) -> dict[str, Any] | None:
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
        request_id = current_request_id()
        if request_id:
            # Logs of the turn and of the replies' delivery (even a retry later) carry it.
            payload["request_id"] = request_id
        if isinstance(inbound.meta.get("sequence"), int):
            # The provider's order (Telegram's update_id): one customer's messages that
            # arrive at once are answered in it, whatever order they were stored in.
            payload["sequence"] = inbound.meta["sequence"]
        return payload or None

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

    # -- processing ------------------------------------------------------------------
    async def process_pending(
        self,
        customer_id: int,
        session: AsyncSession | None = None,
        known: Stored | None = None,
        hold: Hold | None = None,
    ) -> Drained:
        """Process every stored, unprocessed message of one customer, oldest first.

        Call with the customer's lock held (`hold`). Whoever holds the lock drains the
        queue, so order holds even if the lock is not fair. With a fenced (Redis) lock the
        hold is claimed in the store first, and each turn commits only while it is still
        the newest: a holder whose lock expired stops, and the newer one answers.
        """
        async with contextlib.AsyncExitStack() as stack:
            if session is None:
                session = await stack.enter_async_context(self.sessions())
            drained = Drained()
            try:
                await fencing.claim(session, hold)
            except FencedOut:
                drained.rolled_back = True
                return drained
            while True:
                # The rows stay referenced while they are processed: the session's identity
                # map holds them weakly, and each would be read again otherwise.
                waiting = await repo.unprocessed_inbound(session, customer_id)
                pending = [m.id for m in waiting if m.id not in drained.replies]
                joined = False
                for message_id in pending:
                    try:
                        processed = await self._process_one(message_id, session, known, hold)
                    except FencedOut:
                        # A newer holder took over: it answers this message and the rest.
                        await session.rollback()
                        drained.rolled_back = True
                        return drained
                    except Exception:
                        await session.rollback()
                        if await fencing.superseded(session, hold):
                            drained.rolled_back = True
                            return drained
                        log.exception("processing message %s failed", message_id)
                        drained.rolled_back = True
                        known = None  # what it held is stale now
                        processed = Processed(await self._apologise(message_id))
                    drained.replies[message_id] = processed.replies
                    drained.deliver_after.extend(processed.deliver_after)
                    joined = joined or processed.joined
                # A join moved the other customer's waiting messages here: answer them too.
                if not pending or not joined:
                    return drained

    async def _process_one(
        self, message_id: int, session: AsyncSession, known: Stored | None, hold: Hold | None
    ) -> Processed:
        """Load the context, take the turn, write its outcome, tell who listens."""
        message = await session.get(Message, message_id)
        if message is None or message.delivery_status != "received":
            return Processed()
        started = time.perf_counter()
        context = await self._load_context(session, message, known)
        message.delivery_status = "processed"
        outcome = await self.dialogue.take_turn(message, context)
        replies, outgoing, handed_off, notes = await self._write_outcome(
            message, context, outcome, hold
        )
        metrics.TURN_SECONDS.labels(message.channel).observe(time.perf_counter() - started)
        await self._announce(message, context, outcome, replies, handed_off, notes)
        return Processed(replies, [m.id for m in outgoing], joined=bool(outcome.joins))

    async def _load_context(
        self, session: AsyncSession, message: Message, known: Stored | None
    ) -> TurnContext:
        """The context of a stored message: customer, conversation and dialogue state in one
        query (read under the lock, so fresh even where storing loaded them)."""
        row = await repo.turn_context(session, message.customer_id)
        if row is None or row.customer.merged_into_id is not None or row.conversation is None:
            customer = await repo.live_customer(session, message.customer_id)
            assert customer is not None
            conversation = await repo.conversation_of(session, customer.id)
            state = await session.get(DialogueState, customer.id)
            row = repo.TurnRow(customer, conversation, state, unanswered=True)
        return await self._context_of(session, message, row)

    async def _context_of(
        self,
        session: AsyncSession,
        message: Message,
        row: repo.TurnRow,
    ) -> TurnContext:
        """The customer's context and the message understood — before anything is written:
        SQLite has one writer, and the NLU must not hold it while other customers wait."""
        customer, conversation, state = row.customer, row.conversation, row.state
        assert conversation is not None
        with_agent = bot_stays_silent(conversation)
        if with_agent:
            parse: dict[str, Any] = {
                "text": message.text,
                "intent": {"name": "with_agent", "confidence": 1.0},
            }
        else:
            parse = await self._understand(message, state, customer)
        if state is None:
            state = DialogueState(customer_id=customer.id, slots={})
            session.add(state)
        lang = self._language(customer, parse)
        facts = (message.payload or {}).get("facts") or {}
        requester = facts.get("client_address")
        return TurnContext(
            session, customer, conversation, state, parse, lang, with_agent,
            requester=str(requester) if requester else None, preloaded=row.preloaded,
        )  # fmt: skip

    async def _understand(
        self, message: Message, state: DialogueState | None, customer: Customer
    ) -> dict[str, Any]:
        """A button press, an option picked by number or title, or free text for the NLU."""
        button_payload = (message.payload or {}).get("button_payload")
        if not button_payload:
            button_payload = picked_option(message.text, state.pending_options if state else None)
        if button_payload:
            parsed = parse_payload(button_payload)
            if parsed is not None:
                parsed["lang"] = None
                return parsed
            log.info("message %s: a button payload not of ours: %.100r", message.id, button_payload)
        if not message.text or (button_payload and message.text == button_payload):
            # Nothing to read but a payload we cannot trust: not understood, said politely.
            intent = {"name": "nlu_fallback", "confidence": 0.0}
            return {"text": "", "intent": intent, "intent_ranking": [intent], "entities": []}
        started = time.perf_counter()
        parse = await self.interpreter.aparse(message.text, customer.language)

        async def read(text: str) -> dict[str, Any]:
            return await self.interpreter.aparse(text, customer.language)

        # "cześć, duża margherita", "nope, that's all": what follows the opening counts.
        parse = await read_past_opening(parse, read, in_flow=bool(state and state.flow))
        # "do której otwarte i ile kosztuje dostawa?": each question read on its own.
        parse = await read_each_question(parse, read)
        metrics.NLU_SECONDS.observe(time.perf_counter() - started)
        return parse

    def _language(self, customer: Customer, parse: dict[str, Any]) -> str:
        if customer.language is None:
            # Set by the first message that shows a language: the NLU's default for a
            # message that shows none ("helo", "ok", a phone number) would stick for good.
            detected = detect_language(str(parse.get("text") or ""))
            customer.language = detected if detected in ("pl", "en") else None
        return customer.language or self.settings.default_language

    async def _write_outcome(
        self, message: Message, context: TurnContext, outcome: TurnOutcome, hold: Hold | None
    ) -> tuple[list[Message], list[Message], bool, list[Message]]:
        """The turn's context changes, replies, messages for others and notes for the agents,
        in one commit.

        Returns the reply rows, the rows for other addresses, whether a handoff began and
        the note rows.
        """
        session = context.session
        replies = list(outcome.replies)
        handed_off = False
        if outcome.handoff:
            handed_off, said = await self.hand_off(context, outcome.handoff, message.text)
            replies.append(said)
            remember_options(context.state, said.buttons)
        context.state.slots = dict(context.state.slots or {})
        # Only while this holder is still the customer's newest (FencedOut otherwise).
        await fencing.still_holds(session, hold)
        unmatched = not outcome.understood and outcome.flow_step is None
        event = repo.event_values(
            "intent",
            context.customer.id,
            message.channel,
            {
                "intent": outcome.intent,
                "confidence": outcome.confidence,
                "understood": outcome.understood,
                "flow_step": outcome.flow_step,
                # Only what the bot failed to understand, for the operator to teach it.
                "text": message.text[:200] if unmatched else None,
            },
        )
        # The language the replies are written in: the web chat's own words follow it.
        lang = context.customer.language or context.lang
        extra = {**outcome.reply_extra, "language": lang}
        rows = self._reply_rows(message, context.conversation, replies, extra)
        others = [
            Message(
                customer_id=context.customer.id,
                conversation_id=context.conversation.id,
                direction="out",
                author=out.author,
                channel=out.channel,
                address=out.address,
                text=out.text,
                payload={"buttons": []},
                delivery_status="pending",
                created_at=utcnow(),
            )
            for out in outcome.outgoing
        ]
        notes = [
            Message(
                customer_id=context.customer.id,
                conversation_id=context.conversation.id,
                direction="out",
                author="system",
                channel="note",
                text=note.text,
                payload={"buttons": [], "system_note": note.code, "note_params": note.params},
                private=True,
                delivery_status="internal",
                created_at=utcnow(),
            )
            for note in outcome.notes
        ]
        # The state, the event, the message (if not stored yet), its replies and the
        # messages for others commit together (the outbox) — on SQLite in one trip.
        await repo.write_turn(
            session,
            state=context.state,
            event=event,
            inbound=message if message.id is None else None,
            replies=rows,
            others=[*others, *notes],  # the notes after the replies they explain
        )
        return rows, others, handed_off, notes

    def _reply_rows(
        self,
        message: Message,
        conversation: Conversation,
        replies: list[Reply],
        extra: dict[str, Any],
    ) -> list[Message]:
        """Replies to `message`, in the thread of the customer it belongs to now."""
        # A channel whose store is its delivery (the web chat) is done at commit.
        done = self._delivers_from_store(message.channel)
        return [
            Message(
                customer_id=conversation.customer_id,
                conversation_id=conversation.id,
                direction="out",
                author="bot",
                channel=message.channel,
                address=message.address,
                text=reply.text,
                payload={"buttons": [b.as_dict() for b in reply.buttons], **extra, **reply.extra},
                in_reply_to_id=message.id,
                delivery_status="sent" if done else "pending",
                created_at=utcnow(),
            )
            for reply in replies
        ]

    def _delivers_from_store(self, channel: str) -> bool:
        return bool(getattr(self.channels.get(channel), "delivers_from_store", False))

    async def hand_off(self, context: TurnContext, reason: str, text: str) -> tuple[bool, Reply]:
        """Queue the conversation for a human; tell the customer truthfully what happens.

        A person will join only if one is at work now; otherwise the customer hears so (and
        the hours) and may leave a message, which waits for the team in the agents' inbox.
        """
        responses, lang = self.dialogue.responses, context.customer.language or context.lang

        def button(key: str, intent: str) -> Button:
            return Button(responses.render(key, lang), payload_for(intent))

        menu = [button("btn_menu", "browse_menu"), button("btn_cart", "show_cart")]
        if reason == LEFT_MESSAGE:
            await keep_message_for_team(context.session, context.conversation, text)
            return True, Reply(responses.render("leave_message_kept", lang), menu)
        queued = await start_handoff(context.session, context.conversation, reason)
        if await self.presence.agents_online():
            key = "handoff_waiting" if queued else "handoff_already"
            return queued, Reply(responses.render(key, lang), menu)
        # A complaint is already what the team needs: it is said to be kept for them (not a
        # message to leave besides), and when they will answer.
        recorded = reason in RECORDED_AS_SAID
        buttons = menu if recorded else [button("btn_leave_message", "leave_message"), *menu]
        prefix = f"handoff_{reason}_" if recorded else "handoff_"
        if self.support_hours.open_at(utcnow()):
            return queued, Reply(responses.render(f"{prefix}nobody_online", lang), buttons)
        hours = self.support_hours.describe()
        after_hours = responses.render(f"{prefix}after_hours", lang, hours=hours)
        return queued, Reply(after_hours, buttons)

    async def _announce(
        self,
        message: Message,
        context: TurnContext,
        outcome: TurnOutcome,
        replies: list[Message],
        handed_off: bool,
        notes: list[Message],
    ) -> None:
        """After the commit: live listeners (agent console, web chat) hear what changed."""
        for join in outcome.joins:
            await self.hub.publish(
                customer_topic(join.merged_id), {"type": "merged", "customer_id": join.survivor_id}
            )
        conversation_id = context.conversation.id
        if handed_off:
            await self.hub.publish(
                AGENT_TOPIC,
                {"type": "queue", "conversation_id": conversation_id, "status": "waiting_agent"},
            )
        if context.conversation.status in AGENT_STATES:
            # Waiting or taken: the agents see what the customer writes, live.
            await self.hub.publish(
                AGENT_TOPIC,
                {
                    "type": "message",
                    "conversation_id": conversation_id,
                    "message": {**repo.message_object(message), "customer_id": context.customer.id},
                },
            )
        for note in notes:
            await self.hub.publish(AGENT_TOPIC, note_event(note))
        await self._publish_sent(replies)

    async def _publish_sent(self, rows: list[Message]) -> None:
        for row in rows:
            if row.delivery_status != "sent":
                continue
            metrics.MESSAGES_OUT.labels(row.channel, "sent").inc()
            await self.hub.publish(
                customer_topic(row.customer_id),
                {"type": "message", "message": repo.message_object(row)},
            )

    async def _apologise(self, message_id: int) -> list[Message]:
        """Processing failed (a bug, a payload nobody foresaw): the message is marked failed
        and the customer gets a polite reply rather than silence."""
        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            if message is None or message.delivery_status != "received":
                return []
            message.delivery_status = "failed"
            message.last_error = "processing failed"
            rows = await self._stage_said(session, message, "action_failed")
            await session.commit()
        await self._publish_sent(rows)
        return rows

    async def _stage_said(self, session: AsyncSession, message: Message, key: str) -> list[Message]:
        """A reply of one response to `message`, in its customer's language, added to the
        session (the caller commits); none when the customer is gone."""
        customer = await repo.live_customer(session, message.customer_id)
        if customer is None:
            return []
        conversation = await repo.conversation_of(session, customer.id)
        lang = customer.language or self.settings.default_language
        said = Reply(self.dialogue.responses.render(key, lang))
        rows = self._reply_rows(message, conversation, [said], {})
        session.add_all(rows)
        return rows

    async def slow_down(self, message_id: int) -> None:
        """Tell a customer over their message rate that what they wrote is kept but not
        answered (the adapter sends this at most once per window: on SMS it costs money).
        Not while a person has the conversation: the agent reads everything anyway."""
        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            if message is None:
                return
            conversation = await repo.conversation_of(session, message.customer_id)
            if conversation.status == "agent":
                return
            rows = await self._stage_said(session, message, "too_fast")
            await session.commit()
        await self._publish_sent(rows)
        await self.deliver([r.id for r in rows if r.delivery_status == "pending"])

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

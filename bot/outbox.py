"""The transactional outbox: stored replies delivered to a channel with retry and backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import metrics
from bot.channels import Channels, ChannelSender
from bot.domain.options import remember_proactive_options
from bot.hub import AGENT_TOPIC, InProcessHub, customer_topic
from bot.messages import Button, DeliveryError, OutboundMessage
from bot.observability import REQUEST_ID, current_request_id
from bot.rendering import render_for_channel
from bot.settings import Settings
from bot.store import repo
from bot.store.models import Customer, Message, utcnow
from bot.tasks import cancel_and_wait
from bot.uncertain_sends import (
    UNCERTAIN_SENDS,
    note_event,
    settle_abandoned,
    stage_unknown_note,
)

log = logging.getLogger(__name__)


class Outbox:
    """Delivers pending outbound rows; one row at a time is claimed, so instances share it."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        hub: InProcessHub,
        channels: Channels,
    ) -> None:
        self.settings = settings
        self.sessions = sessions
        self.hub = hub
        self.channels = channels  # shared with the core: registered channels
        self._task: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        # Rows this process is claiming or sending now, each with an event set when its
        # attempt is over: never "abandoned", however late a renewal runs; and whoever else
        # here asks to deliver one of them waits for that attempt instead of returning
        # while it is still on its way.
        self._delivering: dict[int, asyncio.Event] = {}

    def kick(self) -> None:
        """Look at the outbox now rather than at the next tick."""
        self._kick.set()

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
            message = await self.stage_proactive(
                session, customer_id, text, buttons, author, agent_id
            )
            if message is None:
                return None
            await session.commit()
            obj = repo.message_object(message)
        if message.delivery_status == "pending":
            await self.deliver([message.id])
        return obj

    async def stage_proactive(
        self,
        session: AsyncSession,
        customer_id: int,
        text: str,
        buttons: list[Button] | None = None,
        author: str = "bot",
        agent_id: int | None = None,
    ) -> Message | None:
        """`send_proactive`'s message, added to the caller's transaction (so that it is
        stored together with the change it reports, or not at all). The caller commits,
        then calls `deliver([message.id])` if its status is "pending"."""
        customer = await repo.live_customer(session, customer_id)
        if customer is None:
            return None
        conversation = await repo.conversation_of(session, customer.id)
        identity = await repo.last_reachable_identity(
            session, customer, self.blocked_channels(customer)
        )
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
        if buttons and message.delivery_status == "pending":
            # Like any reply: the next message may pick an option by its number or title.
            remember_proactive_options(await repo.dialogue_state_of(session, customer.id), buttons)
        return message

    async def deliver(self, message_ids: list[int]) -> None:
        """Deliver the rows; returns once each was tried — by this call, or by whoever in
        this process had it already (the outbox's pass may claim a reply first)."""
        for message_id in message_ids:
            attempt = self._delivering.get(message_id)
            if attempt is not None:
                await attempt.wait()
            else:
                await self._deliver_one(message_id)

    def _lease_until(self) -> datetime:
        return utcnow() + timedelta(seconds=self.settings.outbox_sending_lease_seconds)

    async def _deliver_one(self, message_id: int) -> None:
        attempt = self._delivering[message_id] = asyncio.Event()
        try:
            await self._claim_and_send(message_id)
        finally:
            del self._delivering[message_id]
            attempt.set()

    async def _claim_and_send(self, message_id: int) -> None:
        async with self.sessions() as session:
            claimed = await repo.claim_for_delivery(
                session, message_id, self._lease_until(), self._consent_flags()
            )
            if claimed is None:
                return
            message, opted_out = claimed
            outbound = repo.outbound_of(message)
            stored_at = message.created_at
            # A retry from the outbox loop logs the request id of the message it answers.
            request_id = current_request_id() or await repo.request_id_of(session, message)
        token = REQUEST_ID.set(request_id)
        try:
            status = await self._send_and_record(message, outbound, opted_out)
            if status == "sent":
                age = (utcnow() - stored_at).total_seconds()
                metrics.DELIVERY_SECONDS.labels(outbound.channel).observe(max(age, 0.0))
            log.info("message %s to %s: %s", message_id, outbound.channel, status)
        finally:
            REQUEST_ID.reset(token)

    async def _send_and_record(
        self, message: Message, outbound: OutboundMessage, opted_out: bool | None
    ) -> str:
        """Send a claimed row; `opted_out`: its customer's consent flag of its channel as
        the claim read it (None: not known, read here)."""
        message_id = message.id
        channel = self.channels.get(outbound.channel)
        status, error, retry_after, provider_id = "sent", None, None, None
        permanent = uncertain = False
        if channel is None:
            # Not served by this process (e.g. the CLI): an instance that has the
            # channel delivers it from the outbox.
            status, error = "pending", f"no adapter for channel {outbound.channel!r} here"
        elif await self._consent_withdrawn(channel, outbound, opted_out):
            status, error = "suppressed", "the customer opted out of this channel"
        else:
            try:
                async with self._renewing_claim(message_id):
                    provider_id = await channel.send(
                        render_for_channel(outbound, channel.capabilities)
                    )
            except DeliveryError as exc:
                error, retry_after, permanent = str(exc), exc.retry_after, exc.permanent
                uncertain = exc.uncertain
                status = "failed" if (permanent or exc.reject) else "pending"
            except Exception as exc:  # a bug or an unexpected network error: retry
                log.exception("sending message %s failed", message_id)
                error, status = repr(exc), "pending"
        if uncertain and status == "pending":
            # It may have reached the customer: resending is the channel's policy decision.
            resend = self.resends_uncertain(outbound.channel)
            status = "pending" if resend else "unknown"
            UNCERTAIN_SENDS.labels(outbound.channel, "resent" if resend else "reported").inc()
        if (
            permanent
            or status == "unknown"
            or not await self._record_plainly(
                message, outbound, status, error, retry_after, provider_id
            )
        ):
            await self._record_outcome(
                message_id, outbound, status, error, retry_after, provider_id, permanent
            )
        return status

    def _after_attempt(
        self, status: str, attempts: int, retry_after: float | None
    ) -> tuple[str, datetime | None]:
        """The row's status after `attempts` sends ended in `status`, and when to try again:
        pending rows back off (or fail after OUTBOX_MAX_ATTEMPTS)."""
        if status == "pending" and attempts >= self.settings.outbox_max_attempts:
            return "failed", None
        if status != "pending":
            return status, None
        delay = retry_after or self.settings.outbox_retry_base_seconds * 2 ** (attempts - 1)
        delay *= 1 + random.random() * 0.1  # jitter
        return status, utcnow() + timedelta(seconds=delay)

    async def _record_plainly(
        self,
        claimed: Message,
        outbound: OutboundMessage,
        status: str,
        error: str | None,
        retry_after: float | None,
        provider_id: str | None,
    ) -> bool:
        """The outcome in one prebuilt UPDATE of the row as claimed (still `sending`, the
        attempts it had); False when the row moved meanwhile or the provider id clashed:
        `_record_outcome` sorts that out."""
        attempts = outbound.attempts + 1
        status, next_attempt_at = self._after_attempt(status, attempts, retry_after)
        async with self.sessions() as session:
            try:
                recorded = await repo.record_delivery(
                    session, claimed.id, outbound.attempts, status, error, provider_id,
                    next_attempt_at,
                )  # fmt: skip
                if recorded:
                    await session.commit()
            except IntegrityError:
                await session.rollback()
                return False
        if not recorded:
            return False
        if status == "pending":
            self.kick()
        claimed.delivery_status, claimed.attempts = status, attempts
        claimed.provider_id = claimed.provider_id or provider_id
        metrics.MESSAGES_OUT.labels(outbound.channel, status).inc()
        if status == "sent":
            await self.hub.publish(
                customer_topic(outbound.customer_id),
                {"type": "message", "message": repo.message_object(claimed)},
            )
        return True

    async def _record_outcome(
        self,
        message_id: int,
        outbound: OutboundMessage,
        status: str,
        error: str | None,
        retry_after: float | None,
        provider_id: str | None,
        permanent: bool,
    ) -> None:
        async with self.sessions() as session:
            message = await session.get(Message, message_id)
            assert message is not None
            if message.delivery_status != "sending":
                # Our lease ran out (a stalled process) and the row was settled meanwhile;
                # a send we know succeeded still saves a needless resend.
                log.warning(
                    "message %s: outcome %s came after its claim expired", message_id, status
                )
                if status != "sent" or message.delivery_status not in ("pending", "unknown"):
                    return
            message.attempts += 1
            message.last_error = error
            if provider_id and not message.provider_id:
                message.provider_id = provider_id
            status, message.next_attempt_at = self._after_attempt(
                status, message.attempts, retry_after
            )
            if status == "pending":
                self.kick()
            message.delivery_status = status
            if permanent and message.address:
                # Blocked the bot, invalid number: never try this address again.
                identity = await repo.find_identity(session, message.channel, message.address)
                if identity is not None:
                    identity.unreachable = True
            note = stage_unknown_note(session, message) if status == "unknown" else None
            try:
                await session.commit()
            except IntegrityError:
                # The channel's id for it clashed with another row's: keep the outcome.
                await session.rollback()
                log.warning("provider id %r of message %s clashed", provider_id, message_id)
                message = await session.get(Message, message_id)
                assert message is not None
                message.delivery_status, message.attempts = status, message.attempts + 1
                if note is not None:
                    note = stage_unknown_note(session, message)
                await session.commit()
            obj = repo.message_object(message)
            report = note_event(note) if note is not None else None
        metrics.MESSAGES_OUT.labels(outbound.channel, status).inc()
        if report is not None:
            await self.hub.publish(AGENT_TOPIC, report)
        if status == "sent":
            await self.hub.publish(
                customer_topic(outbound.customer_id), {"type": "message", "message": obj}
            )

    @contextlib.asynccontextmanager
    async def _renewing_claim(self, message_id: int) -> AsyncIterator[None]:
        """Keep the row's claim alive while a (slow) send is in progress."""

        async def renew() -> None:
            interval = self.settings.outbox_sending_lease_seconds / 3
            while True:
                await asyncio.sleep(interval)
                try:
                    async with self.sessions() as session:
                        await repo.renew_claim(session, message_id, self._lease_until())
                except Exception:
                    log.exception("renewing the claim on message %s failed", message_id)

        renewal = asyncio.create_task(renew())
        try:
            yield
        finally:
            await cancel_and_wait(renewal)

    # -- sends interrupted by a crash (policy in bot.uncertain_sends) ----------------
    def resends_uncertain(self, channel: str) -> bool:
        """OUTBOX_RESEND_UNCERTAIN: resend (at least once) or report (at most once)."""
        return channel in self.settings.resend_uncertain_channels()

    async def settle_abandoned(self) -> int:
        """Rows whose sender died mid-send: resent or marked `unknown`, per channel."""
        return await settle_abandoned(
            self.sessions,
            self.hub,
            self.resends_uncertain,
            self._look_up,
            self.kick,
            skip=self._delivering,
        )

    async def _look_up(self, row: Message) -> tuple[bool, str | None]:
        """Ask the row's channel whether an interrupted send reached the provider."""
        channel = self.channels.get(row.channel)
        find_sent = getattr(channel, "find_sent", None)
        if channel is None or find_sent is None:
            return False, None
        try:
            outbound = render_for_channel(repo.outbound_of(row), channel.capabilities)
            return True, await find_sent(outbound)
        except Exception as exc:  # the provider cannot tell now: the policy decides
            log.warning("cannot look up interrupted message %s: %r", row.id, exc)
            return False, None

    async def reachable(self, session: AsyncSession, customer_id: int) -> bool:
        """Whether anything sent to the customer now would reach them on some channel."""
        customer = await repo.live_customer(session, customer_id)
        if customer is None:
            return False
        found = await repo.last_reachable_identity(
            session, customer, self.blocked_channels(customer)
        )
        return found is not None

    def blocked_channels(self, customer: Customer) -> set[str]:
        """Channels the customer has opted out of (their adapter's consent flag is set)."""
        return {
            name
            for name, channel in self.channels.items()
            if (flag := getattr(channel, "consent_flag", None)) and getattr(customer, flag, False)
        }

    def _consent_flags(self) -> dict[str, str]:
        """Channel → the Customer attribute that, set, forbids sending on it."""
        return {
            name: flag
            for name, channel in self.channels.items()
            if (flag := getattr(channel, "consent_flag", None))
        }

    async def _consent_withdrawn(
        self, channel: ChannelSender, outbound: OutboundMessage, opted_out: bool | None
    ) -> bool:
        flag = getattr(channel, "consent_flag", None)
        if not flag or outbound.extra.get("consent_confirmation"):
            return False
        if opted_out is not None:
            return opted_out
        async with self.sessions() as session:
            customer = await repo.live_customer(session, outbound.customer_id)
            return bool(customer is not None and getattr(customer, flag, False))

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)

    async def _loop(self) -> None:
        while True:
            # Cleared before the pass: a kick that comes during it brings the next one at once.
            self._kick.clear()
            try:
                await self.settle_abandoned()
                async with self.sessions() as session:
                    due = await repo.due_outbox(session, utcnow())
                for message_id in due:
                    if message_id not in self._delivering:  # else on its way already
                        await self._deliver_one(message_id)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), timeout=1.0)

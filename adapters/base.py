"""The channel adapter interface: connect, listen (push to the core), send, disconnect."""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from bot.messages import Capabilities, InboundMessage, OutboundMessage
from bot.ratelimit import Budget, Limiter, messages_budget

if TYPE_CHECKING:
    from fastapi import APIRouter

    from bot.core import Accepted, Core


__all__ = ["Capabilities", "ChannelAdapter"]

log = logging.getLogger(__name__)
# One "you are writing too fast" notice per conversation per message window.
SLOW_DOWN_NOTICES = Budget("slow-down-notice", 1, 60)
# How long stopping waits for the answers webhooks left running.
SHUTDOWN_DRAIN_SECONDS = 10.0


class ChannelAdapter(ABC):
    """A channel: turns its payloads into InboundMessage and sends stored replies out."""

    name: str = "base"
    capabilities = Capabilities()

    def __init__(self, core: Core, limiter: Limiter | None = None) -> None:
        self.core = core
        # Budgets shared with the other instances (Redis) — one per process without it.
        self.limiter = limiter or Limiter()
        self._answering: set[asyncio.Task[None]] = set()

    async def admit(self, inbound: InboundMessage) -> Accepted:
        """Store an inbound message, answered in the same transaction when it can go at
        once (`Core.accept_and_answer`). One conversation sending faster than
        `MESSAGES_PER_MINUTE` is kept (agents see it, marked) but not answered: a flood
        costs neither NLU time nor replies, and nothing the customer wrote is lost. The
        first message over the rate in a window gets one notice saying so; the rest of the
        window's get nothing (on SMS every notice is paid for)."""
        key = (inbound.channel, inbound.address)
        budget = messages_budget(self.core.settings.messages_per_minute)
        notify = False
        if not await self.limiter.hit(budget, *key):
            log.warning("%s %s over its message rate: stored, not answered", *key)
            inbound.meta["throttled"] = True
            notify = await self.limiter.hit(SLOW_DOWN_NOTICES, *key)
        accepted = await self.core.accept_and_answer(inbound)
        if notify and not accepted.duplicate:
            self.in_background(self._slow_down(accepted.message_id))
        return accepted

    async def _slow_down(self, message_id: int) -> None:
        try:
            await self.core.slow_down(message_id)
        except Exception:
            log.exception("the slow-down notice for message %s failed", message_id)

    def answer_later(self, accepted: Accepted) -> None:
        """After the webhook has acknowledged a message: deliver the replies its turn
        stored with it, or answer the customer's stored messages."""
        if accepted.deliver is None:
            self.in_background(self._answer(accepted.customer_id))
        elif accepted.deliver:
            self.in_background(self._deliver(accepted.deliver))

    def in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run work the webhook's answer must not wait for; `drain` waits for it."""
        task = asyncio.create_task(work)
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer(self, customer_id: int) -> None:
        try:
            await self.core.answer_pending(customer_id)
        except Exception:
            # Stored, so not lost: the next start (or a provider's retry) answers it.
            log.exception("answering customer %s on %s failed", customer_id, self.name)

    async def _deliver(self, message_ids: list[int]) -> None:
        try:
            await self.core.deliver(message_ids)
        except Exception:
            # Committed, so not lost: the outbox's next pass delivers them.
            log.exception("delivering messages %s on %s failed", message_ids, self.name)

    async def drain(self, timeout: float | None = None) -> None:
        """Wait until the answers in progress are done, also ones started meanwhile.

        At shutdown the wait is bounded (`timeout`): what is left is stored, and answered
        at the next start. Without a bound it waits for the work itself, never for a time
        that a slow machine may need more than.
        """
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._answering:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                log.warning(
                    "%s: %d answers still running at shutdown; their messages are stored "
                    "and answered at the next start",
                    self.name,
                    len(self._answering),
                )
                return
            await asyncio.wait(set(self._answering), timeout=left)

    def router(self) -> APIRouter | None:
        """HTTP/WebSocket routes of this channel (webhooks), mounted by the app."""
        return None

    async def connect(self) -> None:
        """Start what the channel needs (webhook registration, polling)."""

    async def disconnect(self) -> None:
        """Stop background work and close clients."""

    @abstractmethod
    async def send(self, message: OutboundMessage) -> str | None:
        """Deliver one message; return the channel's id for it. Raise DeliveryError."""

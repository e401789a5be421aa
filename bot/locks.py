"""Per-customer locks: one customer's messages are processed one at a time.

In one process an asyncio lock is enough. Across instances (REDIS_URL) the lock lives in
Redis, and three things make it hold under real conditions:

- it is **renewed** while its holder works, so a slow turn (a remote action retried for
  tens of seconds) keeps it, while a crashed holder's lock still expires;
- a waiter gives up after a bounded wait (`LockTimeout`, logged): its message is stored
  and the holder, which drains every waiting message of the customer, answers it;
- each hold carries a **fencing token**, a number larger than every earlier hold's. The
  store claims it when the holder starts and checks it when a turn commits
  (`bot.store.fencing`), so a holder that stalled past its lock's lifetime (a long pause,
  a frozen VM: renewal cannot run either) can never commit over a newer holder.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

from bot import metrics

log = logging.getLogger(__name__)


class LockTimeout(Exception):
    """Waited too long for a customer's lock; the message is left to the current holder."""


@dataclass
class Hold:
    """One holder's turn with a customer's lock."""

    customer_id: int
    # Larger than every earlier hold's fence of this customer; None when locks are
    # in-process (one process: nobody else can hold them).
    fence: int | None = None
    # Renewal found the lock gone or taken: the holder must not commit (the fence check
    # catches it at the latest).
    lost: bool = False


class CustomerLocks(Protocol):
    # Whether holds carry a fence (a lock shared by instances, which can expire under a
    # stalled holder): the core then stores each message before it processes it.
    fenced: bool

    def hold(self, customer_id: int) -> contextlib.AbstractAsyncContextManager[Hold]: ...

    def busy(self, customer_id: int) -> bool: ...


class InProcessLocks:
    """asyncio locks keyed by customer, dropped when nobody holds or waits for them.
    First come, first served; a hold never expires."""

    fenced = False

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    def busy(self, customer_id: int) -> bool:
        """Whether someone holds or waits for the customer's lock now (a hold taken next,
        without an await in between, is then not immediate)."""
        return customer_id in self._users

    @contextlib.asynccontextmanager
    async def hold(self, customer_id: int) -> AsyncIterator[Hold]:
        lock = self._locks.setdefault(customer_id, asyncio.Lock())
        self._users[customer_id] = self._users.get(customer_id, 0) + 1
        try:
            async with lock:
                yield Hold(customer_id)
        finally:
            self._users[customer_id] -= 1
            if self._users[customer_id] == 0:
                del self._users[customer_id]
                del self._locks[customer_id]


# Take the lock and a fence in one step. The fence is max(last fence + 1, Redis's clock in
# microseconds): strictly increasing, and still larger than every fence stored in the
# database if Redis lost the counter (a restart without persistence).
_ACQUIRE = """
if not redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return false end
local t = redis.call('time')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local fence = redis.call('incr', KEYS[2])
if fence < now then
  fence = now
  redis.call('set', KEYS[2], fence)
end
redis.call('pexpire', KEYS[2], 86400000)
return fence
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLocks:
    """A lock shared by every instance: SET NX PX with a token, renewed, fenced.

    Inside one process an asyncio lock queues local waiters first, so Redis sees at
    most one contender per instance and per customer.
    """

    fenced = True

    def __init__(
        self,
        redis: Any,
        namespace: str,
        ttl_seconds: float = 30.0,
        wait_seconds: float = 120.0,
    ) -> None:
        self._redis = redis
        self._key_prefix = f"{namespace}:lock:customer:"
        self._ttl_ms = max(int(ttl_seconds * 1000), 30)
        self._wait_seconds = wait_seconds
        self._local = InProcessLocks()

    def busy(self, customer_id: int) -> bool:
        """Whether a turn of this process holds or waits for the customer's lock (another
        instance's hold is not known without asking Redis)."""
        return self._local.busy(customer_id)

    @contextlib.asynccontextmanager
    async def hold(self, customer_id: int) -> AsyncIterator[Hold]:
        key = f"{self._key_prefix}{customer_id}"
        token = uuid.uuid4().hex
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._wait_seconds):
                async with contextlib.AsyncExitStack() as stack:
                    await stack.enter_async_context(self._local.hold(customer_id))
                    fence = await self._acquire(key, token)
                    local = stack.pop_all()
        except TimeoutError:
            # The acquire may have succeeded in Redis just as the wait ran out.
            with contextlib.suppress(Exception):
                await self._redis.eval(_RELEASE, 1, key, token)
            waited = time.monotonic() - started
            metrics.LOCK_TIMEOUTS.inc()
            log.warning(
                "customer %s: gave up waiting for the lock after %.1f s (another turn holds "
                "it); the holder answers the stored message",
                customer_id,
                waited,
            )
            raise LockTimeout(customer_id) from None
        metrics.LOCK_WAIT_SECONDS.observe(time.monotonic() - started)
        held = Hold(customer_id, fence)
        renewal = asyncio.create_task(self._renew(key, token, held))
        try:
            async with local:
                yield held
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            await self._redis.eval(_RELEASE, 1, key, token)

    async def _acquire(self, key: str, token: str) -> int:
        delay = 0.002
        while True:
            fence = await self._redis.eval(_ACQUIRE, 2, key, f"{key}:fence", token, self._ttl_ms)
            if fence is not None:
                return int(fence)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def _renew(self, key: str, token: str, held: Hold) -> None:
        """Extend the lock every third of its lifetime while the holder works."""
        while True:
            await asyncio.sleep(self._ttl_ms / 3000)
            try:
                renewed = await self._redis.eval(_RENEW, 1, key, token, self._ttl_ms)
            except Exception:
                # Redis unreachable for a moment: try again; the fence guards the commit.
                log.warning("customer %s: renewing the lock failed", held.customer_id)
                continue
            if not renewed:
                held.lost = True
                metrics.LOCK_LOST.inc()
                log.warning(
                    "customer %s: the lock expired while this turn ran (fence %s); "
                    "its commit will be refused",
                    held.customer_id,
                    held.fence,
                )
                return

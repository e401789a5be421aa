"""Per-customer locks: one customer's messages are processed one at a time."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Protocol


class CustomerLocks(Protocol):
    def hold(self, customer_id: int) -> contextlib.AbstractAsyncContextManager[None]: ...


class InProcessLocks:
    """asyncio locks keyed by customer, dropped when nobody holds or waits for them."""

    def __init__(self) -> None:
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    @contextlib.asynccontextmanager
    async def hold(self, customer_id: int) -> AsyncIterator[None]:
        lock = self._locks.setdefault(customer_id, asyncio.Lock())
        self._users[customer_id] = self._users.get(customer_id, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[customer_id] -= 1
            if self._users[customer_id] == 0:
                del self._users[customer_id]
                del self._locks[customer_id]


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisLocks:
    """A lock shared by every instance: SET NX PX with a token, released by a script.

    Inside one process an asyncio lock queues local waiters first, so Redis sees at
    most one contender per instance and per customer.
    """

    def __init__(self, redis: object, namespace: str, ttl_ms: int = 30_000) -> None:
        self._redis = redis
        self._key_prefix = f"{namespace}:lock:customer:"
        self._ttl_ms = ttl_ms
        self._local = InProcessLocks()

    @contextlib.asynccontextmanager
    async def hold(self, customer_id: int) -> AsyncIterator[None]:
        key = f"{self._key_prefix}{customer_id}"
        token = uuid.uuid4().hex
        async with self._local.hold(customer_id):
            delay = 0.002
            r = self._redis
            while not await r.set(key, token, nx=True, px=self._ttl_ms):  # type: ignore[attr-defined]
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.05)
            try:
                yield
            finally:
                await r.eval(_RELEASE, 1, key, token)  # type: ignore[attr-defined]

"""Named budgets (so many hits per period per key), shared by every instance through Redis.

One process keeps its counters in memory; with `REDIS_URL` set they live in Redis (the
`limits` library, moving windows), so N instances allow the limit once, not N times. Keys are
whatever the caller budgets: a client address (as the trusted proxy reports it), a session, an
account, a phone number.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Budget:
    """`amount` hits per `seconds`, per key; `name` keeps budgets apart in the store."""

    name: str
    amount: int
    seconds: int

    def item(self) -> RateLimitItemPerSecond:
        return RateLimitItemPerSecond(self.amount, self.seconds, namespace=self.name)


def messages_budget(per_minute: int) -> Budget:
    """What one conversation (a web chat session, a Telegram chat, an SMS number) may send."""
    return Budget("messages", per_minute, 60)


class Throttled(Exception):
    """A budget is spent; `retry_after` seconds until it allows one more hit."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = max(1, retry_after)


class Limiter:
    """Counts hits against budgets; memory for one process, Redis across instances."""

    def __init__(self, redis_url: str | None = None, namespace: str = "omnibot") -> None:
        storage: Storage
        if redis_url:
            storage = RedisStorage(
                "async+" + redis_url, implementation="redispy", key_prefix=f"{namespace}:limits"
            )
        else:
            storage = MemoryStorage()
        self.storage = storage
        self._limiter = MovingWindowRateLimiter(storage)

    async def hit(self, budget: Budget, *key: str) -> bool:
        """Spend one hit; False (and nothing spent) when the budget is used up."""
        return await self._limiter.hit(budget.item(), *key)

    async def allows(self, budget: Budget, *key: str) -> bool:
        """Whether one more hit fits, without spending it."""
        return await self._limiter.test(budget.item(), *key)

    async def retry_after(self, budget: Budget, *key: str) -> int:
        stats = await self._limiter.get_window_stats(budget.item(), *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def spend(self, budget: Budget, *key: str, message: str) -> None:
        """Spend one hit or raise `Throttled` (a 429 with Retry-After at the HTTP edge)."""
        if not await self.hit(budget, *key):
            log.warning("budget %s spent for %s", budget.name, ":".join(key))
            raise Throttled(message, await self.retry_after(budget, *key))

    async def check(self, budget: Budget, *key: str, message: str) -> None:
        """Raise `Throttled` when the budget is spent, without spending anything."""
        if not await self.allows(budget, *key):
            log.warning("budget %s spent for %s", budget.name, ":".join(key))
            raise Throttled(message, await self.retry_after(budget, *key))

    async def clear(self, budget: Budget, *key: str) -> None:
        await self._limiter.clear(budget.item(), *key)

    async def close(self) -> None:
        # The Redis storage owns its connection pool; memory storage has nothing to close.
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        aclose = getattr(client, "aclose", None)
        if aclose is not None:
            await aclose()

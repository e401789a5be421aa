"""Named budgets (so many hits per period per key), shared by every instance through Redis.

Moving windows: a hit is allowed when fewer than `amount` hits of the same key fell in the
last `seconds`. One process keeps them in memory (`MemoryWindows`); with `REDIS_URL` set they
live in Redis (the `limits` library), so N instances allow the limit once, not N times. Keys
are whatever the caller budgets: a client address (as the trusted proxy reports it), a
session, an account, a phone number.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from bot.domain.refusals import Refusal

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


class Throttled(Refusal):
    """A budget is spent; `retry_after` seconds until it allows one more hit (a refusal with
    a `code` names the wait as the param `seconds`, for pages that word it themselves)."""

    def __init__(self, message: str, retry_after: int, code: str | None = None) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__(message, code, seconds=str(self.retry_after))
        self.message = message


class MemoryWindows:
    """Moving windows in this process's memory: per key, the times of its hits still inside
    the window (oldest first). Each call trims the one key it touches; keys nobody hit for a
    whole window are dropped by a sweep at most once a minute, so memory follows the
    visitors of the last window, not every visitor since the start.

    (The `limits` library's memory storage walks every key, through a thread, after every
    hit: at a few hundred sessions that walk cost more than the rest of the budget check.)
    """

    SWEEP_SECONDS = 60.0

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._windows: dict[tuple[str, int, int, tuple[str, ...]], deque[float]] = {}
        self._next_sweep = clock() + self.SWEEP_SECONDS

    def _window(self, budget: Budget, key: tuple[str, ...], now: float) -> deque[float]:
        if now >= self._next_sweep:
            self._sweep(now)
        window = self._windows.setdefault(
            (budget.name, budget.amount, budget.seconds, key), deque()
        )
        start = now - budget.seconds
        while window and window[0] <= start:
            window.popleft()
        return window

    def _sweep(self, now: float) -> None:
        self._next_sweep = now + self.SWEEP_SECONDS
        for name in [k for k, hits in self._windows.items() if not hits or hits[-1] <= now - k[2]]:
            del self._windows[name]

    def hit(self, budget: Budget, key: tuple[str, ...]) -> bool:
        now = self._clock()
        window = self._window(budget, key, now)
        if len(window) >= budget.amount:
            return False
        window.append(now)
        return True

    def allows(self, budget: Budget, key: tuple[str, ...]) -> bool:
        return len(self._window(budget, key, self._clock())) < budget.amount

    def retry_after(self, budget: Budget, key: tuple[str, ...]) -> float:
        """Seconds until the oldest hit in the window leaves it."""
        now = self._clock()
        window = self._window(budget, key, now)
        return window[0] + budget.seconds - now if window else 0.0

    def clear(self, budget: Budget, key: tuple[str, ...]) -> None:
        self._windows.pop((budget.name, budget.amount, budget.seconds, key), None)

    def __len__(self) -> int:
        return len(self._windows)


class Limiter:
    """Counts hits against budgets; memory for one process, Redis across instances."""

    LOGGED_REMEMBERED = 10_000  # (budget, key) pairs whose refusal was logged lately

    def __init__(self, redis_url: str | None = None, namespace: str = "omnibot") -> None:
        self.storage: RedisStorage | None = None
        self.memory: MemoryWindows | None = None
        self._logged: OrderedDict[tuple[str, ...], float] = OrderedDict()
        if redis_url:
            self.storage = RedisStorage(
                "async+" + redis_url, implementation="redispy", key_prefix=f"{namespace}:limits"
            )
            self._limiter = MovingWindowRateLimiter(self.storage)
        else:
            self.memory = MemoryWindows()

    async def hit(self, budget: Budget, *key: str) -> bool:
        """Spend one hit; False (and nothing spent) when the budget is used up."""
        if self.memory is not None:
            return self.memory.hit(budget, key)
        return await self._limiter.hit(budget.item(), *key)

    async def allows(self, budget: Budget, *key: str) -> bool:
        """Whether one more hit fits, without spending it."""
        if self.memory is not None:
            return self.memory.allows(budget, key)
        return await self._limiter.test(budget.item(), *key)

    async def retry_after(self, budget: Budget, *key: str) -> int:
        if self.memory is not None:
            return max(1, math.ceil(self.memory.retry_after(budget, key)))
        stats = await self._limiter.get_window_stats(budget.item(), *key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def spend(self, budget: Budget, *key: str, message: str, code: str | None = None) -> None:
        """Spend one hit or raise `Throttled` (a 429 with Retry-After at the HTTP edge)."""
        if not await self.hit(budget, *key):
            self._log_spent(budget, key)
            raise Throttled(message, await self.retry_after(budget, *key), code)

    async def check(self, budget: Budget, *key: str, message: str, code: str | None = None) -> None:
        """Raise `Throttled` when the budget is spent, without spending anything."""
        if not await self.allows(budget, *key):
            self._log_spent(budget, key)
            raise Throttled(message, await self.retry_after(budget, *key), code)

    def _log_spent(self, budget: Budget, key: tuple[str, ...]) -> None:
        """Log a spent budget once a window per key (each refusal is still answered): a
        client hammering one, thousands of socket frames a second, wrote a line for each."""
        now = time.monotonic()
        name = (budget.name, *key)
        last = self._logged.get(name)
        if last is not None and now - last < budget.seconds:
            return
        self._logged[name] = now
        self._logged.move_to_end(name)
        if len(self._logged) > self.LOGGED_REMEMBERED:
            self._logged.popitem(last=False)
        log.warning(
            "budget %s spent for %s (logged once per %ss)",
            budget.name,
            ":".join(key),
            budget.seconds,
        )

    async def clear(self, budget: Budget, *key: str) -> None:
        if self.memory is not None:
            self.memory.clear(budget, key)
        else:
            await self._limiter.clear(budget.item(), *key)

    async def close(self) -> None:
        # The Redis storage owns its connection pool; memory storage has nothing to close.
        client = getattr(getattr(self.storage, "bridge", None), "storage", None)
        aclose = getattr(client, "aclose", None)
        if aclose is not None:
            await aclose()

"""The per-customer Redis lock under slow and stalled holders (real Redis)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.locks import Hold, LockTimeout, RedisLocks


def make_locks(url: str, **kw: Any) -> tuple[Redis, RedisLocks]:
    redis = Redis.from_url(url)
    return redis, RedisLocks(redis, "test-ns", **kw)


async def test_a_slow_holder_keeps_its_lock_and_a_waiter_gives_up_with_a_log(
    redis_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Two instances: their own clients and lock objects, one Redis.
    # A lifetime of 1 s, renewed every third of it: a loop stalled up to ~0.6 s (a loaded CI
    # machine) still renews in time; with 0.3 s a 0.2 s stall lost the lock.
    ra, a = make_locks(redis_url, ttl_seconds=1.0, wait_seconds=1.0)
    rb, b = make_locks(redis_url, ttl_seconds=1.0, wait_seconds=1.0)
    try:
        async with a.hold(7) as first:
            # Held for three lifetimes of the lock: renewal keeps it.
            with caplog.at_level(logging.WARNING, logger="bot.locks"):
                with pytest.raises(LockTimeout):
                    async with b.hold(7):
                        pytest.fail("entered a lock another instance holds")
            await asyncio.sleep(2.0)
            assert not first.lost
        assert "customer 7: gave up waiting for the lock" in caplog.text
        async with b.hold(7) as second:  # released: the next holder gets a larger fence
            assert first.fence is not None and second.fence is not None
            assert second.fence > first.fence
        async with a.hold(8) as other:  # another customer is never blocked
            assert other.fence is not None
    finally:
        await ra.aclose()
        await rb.aclose()


def run_in_own_loop(coro: Callable[[], Awaitable[Any]]) -> threading.Thread:
    thread = threading.Thread(target=lambda: asyncio.run(coro()))  # type: ignore[arg-type, return-value]
    thread.start()
    return thread


def test_a_stalled_holder_loses_to_a_newer_one_with_a_larger_fence(redis_url: str) -> None:
    seen: dict[str, Hold] = {}
    stalled = threading.Event()

    async def stalling_instance() -> None:
        redis, locks = make_locks(redis_url, ttl_seconds=0.3, wait_seconds=5)
        async with locks.hold(42) as held:
            seen["stalled"] = held
            stalled.set()
            time.sleep(1.0)  # noqa: ASYNC251 - the whole process freezes: no renewal either
            await asyncio.sleep(0.2)  # then it wakes up; renewal finds the lock gone
        await redis.aclose()

    async def newer_instance() -> None:
        redis, locks = make_locks(redis_url, ttl_seconds=0.3, wait_seconds=5)
        async with locks.hold(42) as held:
            seen["newer"] = held
        await redis.aclose()

    first = run_in_own_loop(stalling_instance)
    assert stalled.wait(10)
    second = run_in_own_loop(newer_instance)
    first.join(15)
    second.join(15)
    old, new = seen["stalled"], seen["newer"]
    assert old.fence is not None and new.fence is not None and new.fence > old.fence
    assert old.lost and not new.lost

"""Agent presence: who counts as online, on one instance and shared through Redis."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.presence import API_ACTIVITY_TTL_S, SOCKET_TTL_S, AgentPresence, RedisAgentPresence

NS = "omnibot:test-presence"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


async def check_presence(redis: Redis | None = None) -> None:
    clock = Clock()
    first = RedisAgentPresence(redis, NS, clock) if redis is not None else AgentPresence(clock)
    other = RedisAgentPresence(redis, NS, clock) if redis is not None else first
    assert not await other.agents_online()

    async with first.connected(7):
        assert await other.agents_online()
        async with first.connected(7):  # a second tab of the same agent
            pass
        assert await other.agents_online()  # closing one tab leaves the other
    assert not await other.agents_online()

    await first.touched(7)
    assert await other.agents_online()
    clock.now += API_ACTIVITY_TTL_S + 1
    assert not await other.agents_online()


async def test_an_open_console_or_a_recent_action_is_an_agent_online() -> None:
    await check_presence()


async def test_presence_is_shared_by_instances_through_redis(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        await check_presence(redis)
    finally:
        await redis.aclose()


async def test_a_console_of_an_instance_that_died_stops_counting(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    clock = Clock()
    try:
        dead, alive = RedisAgentPresence(redis, NS, clock), RedisAgentPresence(redis, NS, clock)
        await dead._beat("3:socket-of-a-killed-instance")  # never left: the process was killed
        assert await alive.agents_online()
        clock.now += SOCKET_TTL_S + 1
        assert not await alive.agents_online()
    finally:
        await redis.aclose()


async def test_another_deployment_on_the_same_redis_sees_no_agent(redis_url: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        ours, theirs = RedisAgentPresence(redis, NS), RedisAgentPresence(redis, NS + "-other")
        async with ours.connected(7):
            await ours.touched(7)
            assert await ours.agents_online()
            assert not await theirs.agents_online()
    finally:
        await redis.aclose()

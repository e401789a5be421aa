"""Which agents are at work now, so nobody promises the customer a person who is not there.

An agent counts as online while they hold an open agent console socket (`/ws/agent`), or for
two minutes after they last acted through the agent API (took, answered or resolved a
conversation: an agent working from a script or an integration). With Redis the record is
shared, so every instance gives the same answer: each socket is a member of a sorted set scored
by its last heartbeat, and a socket of an instance that died without closing it drops out after
`SOCKET_TTL_S`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

SOCKET_TTL_S = 60.0  # a socket not heard of for this long is gone (its instance died)
HEARTBEAT_S = 20.0
API_ACTIVITY_TTL_S = 120.0  # an agent acting through the REST API counts as online this long


class AgentPresence:
    """In-process presence: enough for one instance."""

    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._sockets: dict[str, float] = {}
        self._api_activity: dict[int, float] = {}

    @contextlib.asynccontextmanager
    async def connected(self, user_id: int) -> AsyncIterator[None]:
        """An agent console socket, online while the block runs."""
        member = f"{user_id}:{uuid.uuid4().hex}"
        await self._safe_beat(member)
        beating = asyncio.create_task(self._heartbeat(member))
        try:
            yield
        finally:
            beating.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beating
            await self._leave(member)

    async def _heartbeat(self, member: str) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            await self._safe_beat(member)

    async def _safe_beat(self, member: str) -> None:
        # Presence is advice to customers; a Redis blip must not close an agent's console.
        try:
            await self._beat(member)
        except Exception:
            log.warning("could not record agent presence", exc_info=True)

    async def touched(self, user_id: int) -> None:
        """The agent just did something through the API."""
        self._api_activity[user_id] = self._clock()

    async def agents_online(self) -> bool:
        now = self._clock()
        return any(now - t < SOCKET_TTL_S for t in self._sockets.values()) or any(
            now - t < API_ACTIVITY_TTL_S for t in self._api_activity.values()
        )

    async def _beat(self, member: str) -> None:
        self._sockets[member] = self._clock()

    async def _leave(self, member: str) -> None:
        self._sockets.pop(member, None)


class RedisAgentPresence(AgentPresence):
    """Presence shared by every instance through two sorted sets in Redis."""

    def __init__(self, redis: Any, namespace: str, clock: Any = time.time) -> None:
        super().__init__(clock)
        self._redis = redis
        # Under the deployment's namespace: two shops on one Redis never see each other's agents.
        self.sockets_key = f"{namespace}:presence:agent-sockets"
        self.api_key = f"{namespace}:presence:agent-api"

    async def touched(self, user_id: int) -> None:
        await self._redis.zadd(self.api_key, {str(user_id): self._clock()})

    async def agents_online(self) -> bool:
        now = self._clock()
        sockets = await self._redis.zcount(self.sockets_key, now - SOCKET_TTL_S, "+inf")
        if sockets:
            return True
        return bool(await self._redis.zcount(self.api_key, now - API_ACTIVITY_TTL_S, "+inf"))

    async def _beat(self, member: str) -> None:
        now = self._clock()
        pipe = self._redis.pipeline()
        pipe.zadd(self.sockets_key, {member: now})
        # Forget sockets of instances that died long ago, so the set stays small.
        pipe.zremrangebyscore(self.sockets_key, "-inf", now - 10 * SOCKET_TTL_S)
        await pipe.execute()

    async def _leave(self, member: str) -> None:
        with contextlib.suppress(Exception):  # the TTL covers a Redis blip at close
            await self._redis.zrem(self.sockets_key, member)

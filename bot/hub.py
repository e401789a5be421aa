"""Publish/subscribe for live delivery (web chat sockets, agent console).

In-process by default; Redis pub/sub when REDIS_URL is set, so a message stored by
one instance reaches a socket held by another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from bot import jsonenc

log = logging.getLogger(__name__)

# Topics: one per customer (their timeline, live) and one for the agents' console.
AGENT_TOPIC = "agents"
# The orders board: a hint that an order changed (the board reads what from the store).
ORDERS_TOPIC = "orders"


def customer_topic(customer_id: int) -> str:
    return f"customer:{customer_id}"


class InProcessHub:
    def __init__(self) -> None:
        self._subs: dict[str, set[asyncio.Queue[dict[str, Any]]]] = {}

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        for queue in list(self._subs.get(topic, ())):
            queue.put_nowait(event)

    def _deliver_local(self, topic: str, event: dict[str, Any]) -> None:
        for queue in list(self._subs.get(topic, ())):
            queue.put_nowait(event)

    @contextlib.asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        subs = self._subs.setdefault(topic, set())
        subs.add(queue)
        await self._on_subscribe(topic)
        try:
            yield queue
        finally:
            subs.discard(queue)
            if not subs:
                self._subs.pop(topic, None)
                await self._on_unsubscribe(topic)

    async def _on_subscribe(self, topic: str) -> None:
        return None

    async def _on_unsubscribe(self, topic: str) -> None:
        return None

    async def close(self) -> None:
        return None


class RedisHub(InProcessHub):
    """Every publish goes through Redis; one pattern subscription per instance.

    Channels are `<namespace>:hub:<topic>`: Redis pub/sub is global to the server (the
    database number does not separate it), so the deployment's namespace must.
    """

    def __init__(self, redis: Any, namespace: str) -> None:
        super().__init__()
        self.channel_prefix = f"{namespace}:hub:"
        self._redis = redis
        self._pubsub = redis.pubsub()
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._pubsub.psubscribe(self.channel_prefix + "*")
        self._reader = asyncio.create_task(self._read())

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        await self._redis.publish(self.channel_prefix + topic, jsonenc.dumps(event, default=str))

    async def _read(self) -> None:
        while True:
            try:
                msg = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception:  # connection blips: keep listening
                log.exception("redis hub read failed; retrying")
                await asyncio.sleep(0.5)
                continue
            if not msg:
                continue
            channel = msg["channel"]
            if isinstance(channel, bytes):
                channel = channel.decode()
            self._deliver_local(channel[len(self.channel_prefix) :], jsonenc.loads(msg["data"]))

    async def close(self) -> None:
        if self._reader:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()

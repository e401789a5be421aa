"""Background tasks that stop on time."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[None] | None, timeout: float = 5.0) -> None:
    """Cancel a background task and wait for it, but never let shutdown hang on it."""
    if task is None or task.done():
        return
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=timeout)
    if not done:
        log.warning("background task %s did not stop within %.0f s", task.get_name(), timeout)

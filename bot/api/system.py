"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text

from bot import metrics as bot_metrics
from bot.api import schemas
from bot.jsonenc import JsonResponse
from bot.store.db import migrations_done
from bot.store.models import Conversation, Message, utcnow

log = logging.getLogger(__name__)

router = schemas.Router(tags=["system"])


CHECK_SECONDS = 3.0


@router.get("/healthz", response_model=schemas.Health)
async def healthz(request: Request) -> dict[str, object]:
    """Liveness: the process answers. Deliberately no dependency: a database outage must
    not make an orchestrator restart every healthy instance (that is /readyz's job)."""
    core = request.app.state.core
    return {
        "status": "ok",
        "nlu": type(core.interpreter).__name__,
        "channels": sorted(core.channels),
    }


async def _check(name: str, probe: Any) -> tuple[str, str]:
    try:
        ok = await asyncio.wait_for(probe, CHECK_SECONDS)
    except Exception as exc:  # any failure means "not ready", with the reason shown
        return name, f"failed: {type(exc).__name__}: {exc}"[:200]
    return name, "ok" if ok is not False else "not yet"


@router.get(
    "/readyz",
    response_model=schemas.Readiness,
    responses={503: {"model": schemas.Readiness, "description": "Not ready: the failing checks"}},
)
async def readyz(request: Request) -> JsonResponse:
    """Readiness: 200 only when this instance can serve customers now — the database
    answers and is fully migrated, Redis answers (when configured), the NLU model is
    loaded and the channels are started. 503 with the failing checks otherwise."""
    runtime = request.app.state.runtime
    core = runtime.core
    engine = core.sessions.kw["bind"]

    async def database() -> bool:
        async with core.sessions() as session:
            await session.execute(text("SELECT 1"))
        return await migrations_done(engine)

    async def model() -> bool:
        return runtime.model_loaded

    async def started() -> bool:
        return runtime.started

    probes = [_check("database", database()), _check("model", model())]
    probes.append(_check("started", started()))
    if runtime.redis is not None:
        probes.append(_check("redis", runtime.redis.ping()))
    checks = dict(await asyncio.gather(*probes))
    ready = all(v == "ok" for v in checks.values())
    if not ready:
        bot_metrics.HTTP_ERRORS.labels("not_ready").inc()
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return JsonResponse(body, status_code=200 if ready else 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    core = request.app.state.core
    bot_metrics.NLU_WORKER_UP.set(1 if getattr(core.interpreter, "worker_pid", None) else 0)
    try:
        async with asyncio.timeout(CHECK_SECONDS), core.sessions() as session:
            await _store_gauges(session)
    except Exception:  # the counters are still worth serving when the store is down
        log.warning("reading the outbox and handoff figures for /metrics failed", exc_info=True)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


async def _store_gauges(session: Any) -> None:
    """Backlogs live in the database: read them when Prometheus asks."""
    backlog = await session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.direction == "out", Message.delivery_status.in_(("pending", "sending")))
    )
    waiting, oldest = (
        await session.execute(
            select(func.count(), func.min(Conversation.waiting_since)).where(
                Conversation.status == "waiting_agent"
            )
        )
    ).one()
    bot_metrics.OUTBOX_BACKLOG.set(backlog or 0)
    bot_metrics.HANDOFFS_WAITING.set(waiting or 0)
    age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    bot_metrics.OLDEST_HANDOFF_SECONDS.set(max(age, 0.0))

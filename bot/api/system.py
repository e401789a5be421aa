"""Health and metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz(request: Request) -> dict[str, object]:
    """200 when the store answers and the NLU is loaded."""
    core = request.app.state.core
    async with core.sessions() as session:
        await session.execute(text("SELECT 1"))
    return {
        "status": "ok",
        "nlu": type(core.interpreter).__name__,
        "channels": sorted(core.channels),
    }


@router.get("/metrics")
async def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

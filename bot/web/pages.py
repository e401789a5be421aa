"""Static pages and the embeddable widget script."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from bot.web.security import page

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(tags=["pages"])


@router.get("/", include_in_schema=False)
async def shop() -> HTMLResponse:
    return page(STATIC / "index.html")


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    # Any site may embed the widget: allow cross-origin script loads.
    return FileResponse(
        STATIC / "widget.js",
        media_type="application/javascript",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"},
    )


@router.get("/agent", include_in_schema=False)
async def agent_console() -> HTMLResponse:
    """The agent console (logs in against /api/auth/token; no build step)."""
    return page(STATIC / "agent.html")


@router.get("/admin", include_in_schema=False)
async def operator_console() -> HTMLResponse:
    """The operator console: intents, FAQ, products, history, try-it, analytics (no build)."""
    return page(STATIC / "admin.html")


@router.get("/orders", include_in_schema=False)
async def orders_board() -> HTMLResponse:
    """The orders board for the kitchen: live cards, accept/reject, print (no build step)."""
    return page(STATIC / "orders.html")

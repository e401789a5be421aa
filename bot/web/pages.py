"""Static pages and the embeddable widget script."""

from __future__ import annotations

import html
import re
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from bot.web.security import page
from knowledge.catalog import Catalog, format_price

STATIC = Path(__file__).resolve().parent / "static"

router = APIRouter(tags=["pages"])


# A price on the demo page: `data-price="product:size"` names it in the catalog.
_PRICE_CELL = re.compile(r'(<td class="price" data-price="([\w-]+):(\w+)">)[^<]*(</td>)')


def live_prices(text: str, catalog: Catalog) -> str:
    """The demo page's prices as the catalog has them now (an operator's change in /admin
    shows here as in the chat); a product no longer sold in that size shows a dash."""

    def cell(m: re.Match[str]) -> str:
        product = catalog.products.get(m.group(2))
        grosze = product.prices.get(m.group(3)) if product and product.available else None
        shown = format_price(grosze, "pl") if grosze is not None else "—"
        return f"{m.group(1)}{html.escape(shown)}{m.group(4)}"

    return _PRICE_CELL.sub(cell, text)


# A money fact of the shop on the demo page: `data-fact="delivery_fee"` names it.
_FACTS = "delivery_fee|free_delivery_from|min_order_value"
_FACT = re.compile(rf'(<(\w+) data-fact="({_FACTS})">)[^<]*(</\2>)')


def live_facts(text: str, catalog: Catalog) -> str:
    """The demo page's delivery fee, free-delivery threshold and minimum order as the shop's
    facts have them now (an operator's change in /admin's Shop tab shows here at once)."""

    def cell(m: re.Match[str]) -> str:
        grosze = int(getattr(catalog, m.group(3)))
        return f"{m.group(1)}{html.escape(format_price(grosze, 'pl'))}{m.group(4)}"

    return _FACT.sub(cell, text)


@router.get("/", include_in_schema=False)
async def shop(request: Request) -> HTMLResponse:
    catalog: Catalog = request.app.state.runtime.catalog
    return page(STATIC / "index.html", lambda text: live_facts(live_prices(text, catalog), catalog))


@router.get("/widget.js", include_in_schema=False)
async def widget() -> FileResponse:
    # Any site may embed the widget: allow cross-origin script loads.
    return FileResponse(
        STATIC / "widget.js",
        media_type="application/javascript",
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "public, max-age=300"},
    )


@router.get("/staff-i18n.js", include_in_schema=False)
async def staff_strings() -> FileResponse:
    """The staff pages' words in Polish and English, and how they pick a language."""
    return FileResponse(
        STATIC / "staff-i18n.js",
        media_type="application/javascript",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    # Browsers ask every page's origin for it: one icon for the shop page and the consoles.
    return FileResponse(
        STATIC / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
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

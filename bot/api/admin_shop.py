"""GET/PUT /api/admin/shop: the shop's facts, sizes and categories (operators write)."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel, Field

from bot.api import schemas
from bot.api.admin import _saved, get_content, refusals
from bot.api.deps import AgentUser, CoreDep, OperatorUser
from bot.api.schemas import BODY, STAFF, errors
from bot.content import catalog_meta
from knowledge.shop import PAYMENT_METHODS, TEMPLATE_VARIABLES, WEEKDAYS

router = schemas.Router(tags=["admin"], responses=errors(*STAFF))


class ShopBody(BaseModel):
    shop: dict[str, Any]
    sizes: dict[str, dict[str, str]] = Field(default_factory=dict)
    categories: list[dict[str, Any]] = Field(default_factory=list)


@router.get("/api/admin/shop", response_model=schemas.Out)
async def get_shop(core: CoreDep, user: AgentUser) -> dict[str, Any]:
    """The shop's facts as stored, and what the console needs to edit them."""
    async with core.sessions() as session:
        meta = await catalog_meta.get_meta(session)
    return {
        **meta,
        "weekdays": list(WEEKDAYS),
        "payment_methods": {k: {"pl": v["pl"], "en": v["en"]} for k, v in PAYMENT_METHODS.items()},
        "variables": TEMPLATE_VARIABLES,
    }


@router.put("/api/admin/shop", response_model=schemas.Saved, responses=errors(409, 422, *BODY))
async def put_shop(
    core: CoreDep, user: OperatorUser, request: Request, body: ShopBody
) -> dict[str, Any]:
    """Save the facts (live within seconds: every FAQ answer and reply that states them)."""
    async with core.sessions() as session:
        with refusals():
            version = await catalog_meta.put_meta(
                session, body.model_dump(), user, core.settings.default_language
            )
    return _saved(get_content(request), version)

"""GET /api/customers/{id}: identities, cart, orders, handoffs and the whole timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException

from bot.api import schemas
from bot.api.deps import AgentUser, CoreDep, RowId
from bot.api.schemas import STAFF, errors
from bot.handoff import customer_profile

router = APIRouter(tags=["customers"], responses=errors(*STAFF, 404, 422))


@router.get("/api/customers/{customer_id}", response_model=schemas.Customer)
async def customer(core: CoreDep, user: AgentUser, customer_id: RowId) -> dict[str, Any]:
    async with core.sessions() as session:
        profile = await customer_profile(session, customer_id, core.dialogue.catalog)
    if profile is None:
        raise HTTPException(404, "no such customer")
    return profile

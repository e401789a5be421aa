"""GET /api/customers/{id}: identities, cart, orders, handoffs and the timeline, paged."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from bot.api import schemas
from bot.api.deps import AgentUser, CoreDep, RowId
from bot.api.schemas import STAFF, errors
from bot.handoff import TIMELINE_PAGE, customer_profile, timeline_entry
from bot.store import repo
from bot.store.models import MAX_ROW_ID

router = schemas.Router(tags=["customers"], responses=errors(*STAFF, 404, 422))


@router.get("/api/customers/{customer_id}", response_model=schemas.Customer)
async def customer(core: CoreDep, user: AgentUser, customer_id: RowId) -> dict[str, Any]:
    async with core.sessions() as session:
        profile = await customer_profile(session, customer_id, core.dialogue.catalog)
    if profile is None:
        raise schemas.not_found("no such customer", "no_customer")
    return profile


@router.get("/api/customers/{customer_id}/timeline", response_model=schemas.TimelinePage)
async def timeline(
    core: CoreDep,
    user: AgentUser,
    customer_id: RowId,
    before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=TIMELINE_PAGE)] = TIMELINE_PAGE,
) -> dict[str, Any]:
    """One page of the customer's timeline, newest first by page, oldest first within it:
    the messages before `before` (default: the newest), and whether older ones remain."""
    async with core.sessions() as session:
        customer = await repo.live_customer(session, customer_id)
        if customer is None:
            raise schemas.not_found("no such customer", "no_customer")
        rows, older = await repo.recent_timeline(
            session, customer.id, before=before, limit=limit, include_private=True
        )
    return {"messages": [timeline_entry(m) for m in rows], "older": older}

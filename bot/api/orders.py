"""Orders for staff: move an order along its lifecycle (the customer is notified once)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from bot.api.deps import CoreDep, OperatorUser
from bot.domain.order_status import InvalidTransition, UnknownOrder, UnknownStatus
from bot.order_board import advance_order

router = APIRouter(prefix="/api/orders", tags=["orders"])


class StatusChange(BaseModel):
    status: str | None = Field(default=None, max_length=32, description="default: the next one")


@router.post("/{number}/status")
async def change_status(
    number: str, core: CoreDep, user: OperatorUser, body: StatusChange | None = None
) -> dict[str, Any]:
    """Move the order to its next status, or to `status`; 404 unknown, 409/422 invalid."""
    try:
        return await advance_order(core, number[:32], body.status if body else None)
    except UnknownOrder as exc:
        raise HTTPException(404, str(exc)) from exc
    except UnknownStatus as exc:
        raise HTTPException(422, str(exc)) from exc
    except InvalidTransition as exc:
        raise HTTPException(409, str(exc)) from exc

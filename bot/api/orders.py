"""Orders for the shop's staff (the kitchen role and up): list, one order, move it on, live.

The kitchen sees and moves orders; so do agents, operators and admins. Web chat tokens
and anonymous callers get 401.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import HTTPException, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from bot import board
from bot.api import schemas
from bot.api.deps import CoreDep, StaffUser
from bot.api.schemas import BODY, STAFF, errors
from bot.auth import AuthError, role_allows, staff_from_token
from bot.core import Core
from bot.domain.order_status import (
    MAX_ETA_MINUTES,
    STATUSES,
    InvalidChange,
    InvalidTransition,
    UnknownOrder,
    UnknownStatus,
)
from bot.hub import ORDERS_TOPIC
from bot.order_board import StatusChange, advance_order, note_for_kitchen
from bot.store.models import MAX_ROW_ID, User

log = logging.getLogger(__name__)
router = schemas.Router(tags=["orders"], responses=errors(*STAFF, 422))

# A board without news still looks at the store this often: orders placed by another
# instance, or by a turn whose commit raced the hint, show up within this time.
FEED_POLL_SECONDS = 1.0


class StatusBody(BaseModel):
    status: str | None = Field(default=None, max_length=32, description="default: the next one")
    eta_minutes: int | None = Field(
        default=None, ge=1, le=MAX_ETA_MINUTES, description="accepting: ready in N minutes"
    )
    reason: str | None = Field(
        default=None,
        max_length=300,
        description="why (rejecting, cancelling): ingredient, too_far, closed, busy or words",
    )


def _statuses(raw: str | None) -> list[str] | None:
    if not raw:
        return None
    wanted = [s.strip() for s in raw.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in STATUSES]
    if unknown:
        raise HTTPException(422, f"unknown status {unknown[0]!r}; one of: {', '.join(STATUSES)}")
    return wanted


def _moment(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise HTTPException(422, "since must be an ISO 8601 time, e.g. 2026-12-01T18:00") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@router.get("/api/orders", response_model=schemas.Orders)
async def list_orders(
    core: CoreDep,
    user: StaffUser,
    status: Annotated[str | None, Query(max_length=200, description="comma-separated")] = None,
    since: Annotated[
        str | None, Query(max_length=40, description="placed or changed since")
    ] = None,
    after: Annotated[
        int | None,
        Query(ge=0, le=MAX_ROW_ID, description="the `seq` of the last answer: changes after it"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """Orders, newest first, with items, customer details, payment and history; with
    `after`, the orders changed after that position, in the order they changed (commit
    order), each once. `seq` is the position to ask `after` next time."""
    if after is not None and since:
        raise HTTPException(422, "ask either since (a time) or after (a seq), not both")
    statuses = _statuses(status)
    async with core.sessions() as session:
        if after is None:
            # Read first: a change committed while the list is read comes again after it.
            seq = await board.latest_seq(session)
            orders = await board.query_orders(
                session, core.dialogue.catalog, statuses, _moment(since), limit
            )
        else:
            seq, orders = await board.changes_after(session, core.dialogue.catalog, after, limit)
            orders = [o for o in orders if not statuses or o["status"] in statuses]
    return {"orders": orders, "seq": seq, **board.board_settings(core.dialogue.catalog)}


@router.get("/api/orders/{number}", response_model=schemas.Order, responses=errors(404))
async def get_order(core: CoreDep, user: StaffUser, number: str) -> dict[str, Any]:
    """One order: items, customer, fulfilment, address, payment, note, history."""
    async with core.sessions() as session:
        card = await board.find_order(session, core.dialogue.catalog, number[:32])
    if card is None:
        raise schemas.not_found(f"no order {number[:32]}", "no_order", number=number[:32])
    return card


@router.post(
    "/api/orders/{number}/status", response_model=schemas.Order, responses=errors(404, 409, *BODY)
)
async def change_status(
    number: str, core: CoreDep, user: StaffUser, body: StatusBody | None = None
) -> dict[str, Any]:
    """Move the order to its next status, or to `status` (accept with `eta_minutes`,
    reject with `reason`); the customer is told once. 404 unknown, 409/422 invalid."""
    body = body or StatusBody()
    change = StatusChange(body.status, body.eta_minutes, body.reason, user)
    try:
        await advance_order(core, number[:32], body.status, change)
    except UnknownOrder as exc:
        raise schemas.Refused(404, exc) from exc
    except (UnknownStatus, InvalidChange) as exc:
        raise schemas.Refused(422, exc) from exc
    except InvalidTransition as exc:
        raise schemas.Refused(409, exc) from exc
    async with core.sessions() as session:
        card = await board.find_order(session, core.dialogue.catalog, number[:32])
    assert card is not None
    return card


class KitchenNoteBody(BaseModel):
    text: str = Field(min_length=1, max_length=300, description="what the kitchen must know")


@router.post(
    "/api/orders/{number}/note", response_model=schemas.Order, responses=errors(404, 409, *BODY)
)
async def add_kitchen_note(
    number: str, core: CoreDep, user: StaffUser, body: KitchenNoteBody
) -> dict[str, Any]:
    """Add a line to an open order's note (a change agreed with the customer): the board
    shows it live. 404 unknown, 409 finished already; the customer is not told."""
    if not body.text.strip():
        raise HTTPException(422, "the note is empty")
    try:
        await note_for_kitchen(core, number[:32], body.text, user)
    except UnknownOrder as exc:
        raise schemas.Refused(404, exc) from exc
    except InvalidTransition as exc:
        raise schemas.Refused(409, exc) from exc
    async with core.sessions() as session:
        card = await board.find_order(session, core.dialogue.catalog, number[:32])
    assert card is not None
    return card


async def _staff(core: Core, token: str) -> User | None:
    async with core.sessions() as session:
        try:
            user = await staff_from_token(session, token, core.settings.resolved_secret_key())
        except AuthError:
            return None
    return user if role_allows(user.role, "kitchen") else None


@router.websocket("/ws/orders")
async def feed(websocket: WebSocket, token: str = "", after: int | None = None) -> None:
    """The board's live feed. Without `after`: a snapshot, then changes. With `after`
    (the last `seq` seen): every order changed since, then changes."""
    core: Core = websocket.app.state.core
    await websocket.accept()
    if await _staff(core, token) is None:
        refusal = {"type": "error", "error": "login required", "code": "login_required"}
        await websocket.send_json(refusal)
        await websocket.close(code=4401)
        return
    reader = asyncio.create_task(_drain(websocket))
    try:
        await _serve_feed(websocket, core, after, reader)
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) client frames, so a closed socket is noticed."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return


async def _serve_feed(
    websocket: WebSocket, core: Core, after: int | None, reader: asyncio.Task[None]
) -> None:
    hello = {"type": "hello", **board.board_settings(core.dialogue.catalog)}
    async with core.hub.subscribe(ORDERS_TOPIC) as hints:
        async with core.sessions() as session:
            latest = await board.latest_seq(session)
            if after is None or not 0 <= after <= min(latest, MAX_ROW_ID):
                seq, orders = await board.board_snapshot(session, core.dialogue.catalog)
                await websocket.send_json({**hello, "snapshot": True, "seq": seq, "orders": orders})
            else:
                seq = after
                await websocket.send_json({**hello, "snapshot": False, "seq": seq})
        while not reader.done():
            async with core.sessions() as session:
                seq_next, orders = await board.changes_after(session, core.dialogue.catalog, seq)
            if orders:
                seq = seq_next
                await websocket.send_json({"type": "orders", "seq": seq, "orders": orders})
                continue  # a long backlog comes in batches
            hint = asyncio.ensure_future(hints.get())
            done, _ = await asyncio.wait(
                {hint, reader}, timeout=FEED_POLL_SECONDS, return_when=asyncio.FIRST_COMPLETED
            )
            if hint not in done:
                hint.cancel()
            while not hints.empty():  # one look at the store answers every waiting hint
                hints.get_nowait()

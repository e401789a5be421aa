"""The agent inbox: queue, assignment, replies, private notes, resolving, live updates."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

from fastapi import HTTPException, Query, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field, field_validator

from bot import handoff
from bot.api import schemas
from bot.api.deps import AgentUser, CoreDep, PresenceDep, RowId
from bot.api.schemas import BODY, STAFF, errors
from bot.auth import AuthError, role_allows, staff_from_token
from bot.core import Core
from bot.dialogue.turn import parse_payload, payload_for
from bot.domain.options import remember_options
from bot.hub import AGENT_TOPIC, customer_topic
from bot.jsonenc import receive_frame, send_frame
from bot.messages import Button
from bot.presence import AgentPresence
from bot.store.models import MAX_ROW_ID, Conversation, User

router = schemas.Router(tags=["agent"], responses=errors(*STAFF, 422))

STATUSES = "^(bot|waiting_agent|agent|closed)$"


class AgentButton(BaseModel):
    title: str = Field(min_length=1, max_length=64)
    # The bot's own form, `/intent{"entity": "value"}`: what pressing (or typing its number
    # or title) does, exactly like a button of the bot's.
    payload: str = Field(min_length=2, max_length=1000)

    @field_validator("payload")
    @classmethod
    def _ours(cls, payload: str) -> str:
        if parse_payload(payload) is None:
            raise ValueError('a payload is /intent or /intent{"entity": "value"}')
        return payload


class AgentMessage(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    buttons: list[AgentButton] = Field(default_factory=list, max_length=10)


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


def _http(exc: handoff.HandoffError) -> HTTPException:
    return schemas.Refused(exc.status, exc)


@router.get("/api/agent/conversations", response_model=schemas.Conversations)
async def conversations(
    core: CoreDep,
    user: AgentUser,
    status: Annotated[str | None, Query(pattern=STATUSES)] = None,
) -> dict[str, Any]:
    """Conversations by status; the waiting queue comes oldest first."""
    async with core.sessions() as session:
        rows = await handoff.list_conversations(session, status)
    return {"conversations": rows}


@router.get(
    "/api/agent/conversations/{conversation_id}",
    response_model=schemas.ConversationDetail,
    responses=errors(404),
)
async def conversation(core: CoreDep, user: AgentUser, conversation_id: RowId) -> dict[str, Any]:
    """One conversation with the customer's profile, summary and whole timeline."""
    async with core.sessions() as session:
        conv = await session.get(Conversation, conversation_id)
        if conv is None:
            raise schemas.not_found("no such conversation", "no_conversation")
        profile = await handoff.customer_profile(session, conv.customer_id, core.dialogue.catalog)
    return {"conversation_id": conversation_id, "customer": profile}


@router.post(
    "/api/agent/conversations/{conversation_id}/assign",
    response_model=schemas.ConversationState,
    responses=errors(404, 409),
)
async def assign(
    core: CoreDep, presence: PresenceDep, user: AgentUser, conversation_id: RowId
) -> dict[str, Any]:
    """Take the conversation; if another agent has it, 409 says who."""
    await presence.touched(user.id)
    async with core.sessions() as session:
        try:
            conv = await handoff.assign(session, conversation_id, user)
        except handoff.HandoffError as exc:
            raise _http(exc) from exc
    await core.hub.publish(
        AGENT_TOPIC,
        {"type": "queue", "conversation_id": conv.id, "status": "agent", "agent_id": user.id},
    )
    # The customer's chat says who answers now (the web widget's header).
    await core.hub.publish(
        customer_topic(conv.customer_id), handoff.talk_status("agent", user.email)
    )
    return {"id": conv.id, "status": conv.status, "assigned_agent_id": conv.assigned_agent_id}


@router.post(
    "/api/agent/conversations/{conversation_id}/messages",
    response_model=schemas.Posted,
    responses=errors(404, 409, *BODY),
)
async def reply(
    core: CoreDep,
    presence: PresenceDep,
    user: AgentUser,
    conversation_id: RowId,
    body: AgentMessage,
) -> dict[str, Any]:
    """Answer the customer in the channel they use now (by the same outbox)."""
    await presence.touched(user.id)
    async with core.sessions() as session:
        try:
            conv = await handoff.owned_conversation(session, conversation_id, user)
        except handoff.HandoffError as exc:
            raise _http(exc) from exc
        customer_id = conv.customer_id
    buttons = [Button(b.title.strip(), b.payload) for b in body.buttons]
    message = await core.send_proactive(
        customer_id, body.text.strip(), buttons, author="agent", agent_id=user.id
    )
    if message is None:
        raise schemas.not_found("customer not found", "no_customer")
    return {"message": message}


@router.post(
    "/api/agent/conversations/{conversation_id}/notes",
    response_model=schemas.Posted,
    responses=errors(404, *BODY),
)
async def note(
    core: CoreDep, user: AgentUser, conversation_id: RowId, body: Note
) -> dict[str, Any]:
    """A private note on the thread; the customer never sees it."""
    async with core.sessions() as session:
        conv = await session.get(Conversation, conversation_id)
        if conv is None:
            raise schemas.not_found("no such conversation", "no_conversation")
        row = await handoff.add_note(session, conv, user, body.text.strip())
        obj = {**handoff.repo.message_object(row), "private": True}
    await core.hub.publish(
        AGENT_TOPIC, {"type": "note", "conversation_id": conversation_id, "message": obj}
    )
    return {"message": obj}


@router.post(
    "/api/agent/conversations/{conversation_id}/resolve",
    response_model=schemas.ConversationState,
    responses=errors(404, 409),
)
async def resolve(
    core: CoreDep, presence: PresenceDep, user: AgentUser, conversation_id: RowId
) -> dict[str, Any]:
    """Hand back to the bot, which carries on where it was."""
    await presence.touched(user.id)
    async with core.sessions() as session:
        try:
            conv = await handoff.owned_conversation(session, conversation_id, user)
        except handoff.HandoffError as exc:
            raise _http(exc) from exc
        unanswered = await handoff.resolve(session, conv)
        customer = await handoff.repo.live_customer(session, conv.customer_id)
        lang = (customer.language if customer else None) or core.settings.default_language
        customer_id = conv.customer_id
        said, buttons = "handoff_resolved", []
        state = await handoff.repo.dialogue_state_of(session, customer_id)
        if state.flow == "checkout":
            # Handed to a person mid-checkout, the order is not placed yet: the bot says so
            # and offers to go on from where the checkout stopped, not "anything else?". Its
            # button is the option a typed "1" picks (not one of the handoff reply's).
            said = "handoff_resolved_checkout"
            finish = core.dialogue.responses.render("btn_finish_checkout", lang)
            buttons = [Button(finish, payload_for("checkout"))]
            remember_options(state, buttons)
            await session.commit()
    await core.send_proactive(
        customer_id, core.dialogue.responses.render(said, lang), buttons, author="bot"
    )
    if unanswered is not None:
        # Written while the person had it and left unanswered: the bot answers it now.
        await core.answer_left_unanswered(customer_id, unanswered)
    await core.hub.publish(
        AGENT_TOPIC, {"type": "queue", "conversation_id": conversation_id, "status": "bot"}
    )
    await core.hub.publish(customer_topic(customer_id), handoff.talk_status("bot"))
    return {"id": conversation_id, "status": "bot"}


async def _staff_from_token(core: Core, token: str) -> User | None:
    async with core.sessions() as session:
        try:
            user = await staff_from_token(session, token, core.settings.resolved_secret_key())
        except AuthError:
            return None
    return user


@router.websocket("/ws/agent")
async def live(websocket: WebSocket, token: str = "") -> None:
    """Queue changes, and every message of the conversation being watched, live.

    Client frames: `{"type": "watch", "conversation_id": N}`. The answer `{"type": "watching"}`
    comes once the socket is subscribed: every message stored after it arrives here, so a
    console that reads the conversation after that answer misses none.
    """
    core: Core = websocket.app.state.core
    presence: AgentPresence = websocket.app.state.presence
    await websocket.accept()
    user = await _staff_from_token(core, token)
    if user is None or not role_allows(user.role, "agent"):
        # Logged in without the role (the kitchen) is said so, not "log in again".
        refusal = (
            {"type": "error", "error": "login required", "code": "login_required"}
            if user is None
            else {
                "type": "error",
                "error": "this needs the agent role",
                "code": "role_needed",
                "params": {"role": "agent"},
            }
        )
        await send_frame(websocket, refusal)
        await websocket.close(code=4401)
        return
    # An open console is an agent at work: customers are told a person is online.
    async with presence.connected(user.id):
        await _serve_console(core, websocket)


async def _serve_console(core: Core, websocket: WebSocket) -> None:
    out: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    watchers: dict[str, asyncio.Task[None]] = {}

    async def pump(topic: str, subscribed: asyncio.Future[None]) -> None:
        async with core.hub.subscribe(topic) as queue:
            subscribed.set_result(None)
            while True:
                await out.put(await queue.get())

    async def follow(topic: str) -> asyncio.Task[None]:
        """Forward a topic's events; return once subscribed: what is published from then on
        comes (a "watching" answer sent after it promises the console exactly that)."""
        subscribed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        task = asyncio.create_task(pump(topic, subscribed))
        await asyncio.wait({task, subscribed}, return_when=asyncio.FIRST_COMPLETED)
        return task

    async def writer() -> None:
        while True:
            await send_frame(websocket, await out.get())

    watchers[AGENT_TOPIC] = await follow(AGENT_TOPIC)
    send_task = asyncio.create_task(writer())
    try:
        while True:
            try:
                frame = await receive_frame(websocket)
            except (ValueError, KeyError):  # not JSON, or a binary frame
                frame = None
            conversation_id = frame.get("conversation_id") if isinstance(frame, dict) else None
            if (
                not isinstance(frame, dict)
                or frame.get("type") != "watch"
                or not isinstance(conversation_id, int)
                or not 1 <= conversation_id <= MAX_ROW_ID
            ):
                await out.put(
                    {"type": "error", "error": 'send {"type": "watch", "conversation_id": N}'}
                )
                continue
            async with core.sessions() as session:
                conv = await session.get(Conversation, conversation_id)
            if conv is None:
                missing = {"type": "error", "error": "no such conversation"}
                await out.put({**missing, "code": "no_conversation"})
                continue
            for topic in [t for t in watchers if t != AGENT_TOPIC]:
                watchers.pop(topic).cancel()
            topic = customer_topic(conv.customer_id)
            watchers[topic] = await follow(topic)
            await out.put({"type": "watching", "conversation_id": conv.id})
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in [*watchers.values(), send_task]:
            task.cancel()
        for task in [*watchers.values(), send_task]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

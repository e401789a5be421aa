"""Web chat: sessions, messages, history and the live socket (DESIGN.md public interface)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, Field

from adapters.base import ChannelAdapter
from adapters.webchat.sessions import InvalidSession, SessionSigner
from bot.api import schemas
from bot.api.deps import OperatorUser, RowId, client_address
from bot.api.schemas import BODY, errors
from bot.core import Core
from bot.domain.handoff import AGENT_STATES
from bot.domain.text import replace_lone_surrogates
from bot.handoff import add_system_note, release_when_gone, talk_status_of, timeline_entry
from bot.hub import AGENT_TOPIC, customer_topic
from bot.jsonenc import receive_frame, send_frame
from bot.messages import Capabilities, InboundMessage, OutboundMessage
from bot.ratelimit import Budget, Limiter, Throttled, messages_budget
from bot.store import repo
from bot.store.models import MAX_ROW_ID

log = logging.getLogger(__name__)

CHANNEL = "webchat"
SESSION_ENDED = "this chat session has ended; start a new one"
# The dots say the bot is typing only when its answer takes longer than this: a reply that
# comes at once needs none (and costs two frames less).
TYPING_AFTER_S = 0.25
TYPING_ON = {"type": "typing", "typing": True}
TYPING_OFF = {"type": "typing", "typing": False}
LIVE_REMEMBERED = 10_000  # addresses known not to be ended (one process, no Redis)


class SessionRequest(BaseModel):
    session_token: str | None = None
    language: str | None = Field(default=None, pattern="^(pl|en)$")


class ForgetRequest(BaseModel):
    session_token: str


class SendRequest(BaseModel):
    session_token: str
    text: str | None = None
    payload: str | None = Field(default=None, max_length=1000)
    client_message_id: str = Field(min_length=1, max_length=100)


class WebchatAdapter(ChannelAdapter):
    name = CHANNEL
    capabilities = Capabilities(buttons=True, max_text_length=100_000)
    # A reply is delivered once stored: sockets get it live, browsers catch up from history.
    delivers_from_store = True
    # The response (or the socket's reply) is the acknowledgement, and the widget sends an
    # unacknowledged message again with its client_message_id: a message may be stored
    # together with its turn, in one transaction.
    acknowledges_with_reply = True

    def __init__(self, core: Core, limiter: Limiter | None = None) -> None:
        super().__init__(core, limiter)
        self._workers: set[asyncio.Task[None]] = set()
        self.signer = SessionSigner(
            core.settings.resolved_secret_key(), core.settings.webchat_session_days
        )
        # Without Redis there is one instance, and only it ends sessions (`end_sessions`): an
        # address found live stays known live, sparing each message a query, until it ends
        # any session. With several instances every request asks the database.
        self._live: OrderedDict[str, None] | None = (
            None if core.settings.redis_url else OrderedDict()
        )
        self._endings = 0  # how many times sessions were ended here

    async def send(self, message: OutboundMessage) -> str | None:
        # Delivery is the live publish the core makes for every sent message; an
        # offline browser catches up from history on reconnect.
        return None

    # -- helpers -------------------------------------------------------------------
    async def _count_new_session(self, limiter: Limiter, client: str) -> None:
        """A new customer per session: cap how fast one address can make them (429)."""
        budget = Budget("webchat-sessions", self.core.settings.webchat_new_sessions_per_ip, 600)
        await limiter.spend(
            budget, client, message="too many new chat sessions; please try again later"
        )

    async def _count_message(self, limiter: Limiter, address: str) -> None:
        """Each session's messages, REST and socket together (429 / an error frame)."""
        budget = messages_budget(self.core.settings.messages_per_minute)
        await limiter.spend(budget, CHANNEL, address, message="too many messages; please slow down")

    async def _count_read(self, limiter: Limiter, address: str) -> None:
        """Each session's reads of its timeline, history pages and sockets opened together
        (each reads up to a thousand messages): a client looping over them would cost the
        server a core (429 / an `error` frame and close 1013)."""
        budget = Budget("webchat-reads", self.core.settings.webchat_reads_per_minute, 60)
        await limiter.spend(
            budget, CHANNEL, address, message="too many history requests; please slow down"
        )

    async def _address(self, token: str | None) -> str:
        """The session's address; 401 for a forged, expired or ended session."""
        try:
            address = self.signer.address_of(token)
        except InvalidSession as exc:
            raise HTTPException(status_code=401, detail=str(exc)) from exc
        live = self._live
        if live is not None and address in live:
            live.move_to_end(address)
            return address
        endings = self._endings
        async with self.core.sessions() as session:
            if await repo.identity_revoked(session, CHANNEL, address):
                raise HTTPException(401, SESSION_ENDED)
        # Remembered only if no session ended meanwhile (the answer may predate that).
        if live is not None and endings == self._endings:
            live[address] = None
            if len(live) > LIVE_REMEMBERED:
                live.popitem(last=False)
        return address

    async def end_sessions(
        self, *, customer_id: int | None = None, address: str | None = None
    ) -> int:
        """Revoke web chat sessions (one, or all of a customer's) and close their sockets."""
        async with self.core.sessions() as session:
            if address is not None:
                customer_id = await self.customer_id_for(address)
            ended = await repo.revoke_identities(
                session, CHANNEL, customer_id=customer_id, address=address
            )
            self._endings += 1  # committed: from now on every address is asked again
            if self._live is not None:
                self._live.clear()
            note = released = None
            if ended and customer_id is not None:
                # The agents' thread says so: replies from now on may reach nobody.
                row = await add_system_note(session, customer_id, "webchat_ended")
                reachable = await self.core.outbox.reachable(session, customer_id)
                released = await release_when_gone(session, customer_id, reachable)
                await session.commit()
                note = {"conversation_id": row.conversation_id, "message": timeline_entry(row)}
        if ended and customer_id is not None:
            event = {"type": "session_ended", "addresses": ended}
            await self.core.hub.publish(customer_topic(customer_id), event)
        if note is not None:
            await self.core.hub.publish(AGENT_TOPIC, {"type": "note", **note})
        if released is not None:
            queue = {"type": "queue", "conversation_id": released.id, "status": "bot"}
            await self.core.hub.publish(AGENT_TOPIC, queue)
        return len(ended)

    async def customer_id_for(self, address: str, language: str | None = None) -> int:
        return (await self._customer_of(address, language))[0]

    async def _customer_of(self, address: str, language: str | None) -> tuple[int, str | None]:
        """The customer's id and conversation language (the browser's if none yet)."""
        async with self.core.sessions() as session:
            customer, created = await repo.resolve_customer(
                session, CHANNEL, address, language=language
            )
            if language and not created and customer.language is None:
                customer.language = language
                await session.commit()
            return customer.id, customer.language

    def _check_text(self, text: str | None, payload: str | None) -> None:
        limit = self.core.settings.max_message_chars
        if text is not None and len(text) > limit:
            raise HTTPException(413, f"message too long: at most {limit} characters")
        if not (text or "").strip() and not payload:
            raise HTTPException(422, "a message needs text or a button payload")

    async def receive(
        self, address: str, body: SendRequest | dict[str, Any], client: str | None = None
    ) -> Any:
        data = body if isinstance(body, dict) else body.model_dump()
        return await self.core.receive(
            InboundMessage(
                channel=CHANNEL,
                address=address,
                text=data.get("text") or "",
                payload=data.get("payload"),
                provider_id=f"{address}:{data['client_message_id']}",
                # The requester's address: budgets for SMS codes and code guesses count it.
                meta={"client_message_id": data["client_message_id"], "client_address": client},
            )
        )

    # -- routes --------------------------------------------------------------------
    def router(self) -> APIRouter:
        router = schemas.Router(tags=["webchat"], responses=errors(401, 422))

        @router.post(
            "/api/webchat/sessions",
            response_model=schemas.WebchatSession,
            responses=errors(429, *BODY),
        )
        async def create_session(
            request: Request, body: SessionRequest | None = None
        ) -> dict[str, Any]:
            """Start a web chat session, or resume one with its old token."""
            body = body or SessionRequest()
            if body.session_token:
                address = await self._address(body.session_token)
            else:
                await self._count_new_session(self.limiter, client_address(request))
                address = self.signer.new_address()
            customer_id, language = await self._customer_of(address, body.language)
            token = self.signer.sign(address)
            known = {"language": language} if language else {}  # unknown: left out
            # Message times read in the shop's zone, like every time the bot gives.
            timezone = self.core.dialogue.catalog.facts.timezone.key
            return {
                "session_token": token,
                "customer_id": customer_id,
                "timezone": timezone,
                **known,
            }

        @router.post(
            "/api/webchat/messages",
            response_model=schemas.WebchatReceipt,
            responses=errors(429, *BODY),
        )
        async def send_message(request: Request, body: SendRequest) -> dict[str, Any]:
            """Send a message; the bot's replies come back in the response."""
            address = await self._address(body.session_token)
            self._check_text(body.text, body.payload)
            await self._count_message(self.limiter, address)
            receipt = await self.receive(address, body, client_address(request))
            return {"message": receipt.message, "replies": receipt.replies}

        @router.post("/api/webchat/sessions/forget", status_code=204, responses=errors(*BODY))
        async def forget_session(body: ForgetRequest) -> None:
            """End this session for good ("forget me" on a shared computer): its token, and
            every copy of it, is refused from now on; the browser starts afresh."""
            await self.end_sessions(address=await self._address(body.session_token))

        @router.post(
            "/api/customers/{customer_id}/webchat/end-sessions",
            response_model=schemas.Ended,
            responses=errors(403),
        )
        async def end_customer_sessions(user: OperatorUser, customer_id: RowId) -> dict[str, int]:
            """End every web chat session of a customer (a shared or lost device): their
            tokens are refused and open chats close; the record and history stay."""
            return {"ended": await self.end_sessions(customer_id=customer_id)}

        @router.get("/api/webchat/history", response_model=schemas.History, responses=errors(429))
        async def history(
            token: str,
            after: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0,
            before: Annotated[int | None, Query(ge=1, le=MAX_ROW_ID)] = None,
            limit: Annotated[int, Query(ge=1, le=1000)] = 500,
        ) -> dict[str, Any]:
            """The customer's cross-channel timeline, oldest first: the newest `limit`
            messages, or the page before `before` (reading back); with `after`, a returning
            chat's catch-up (`repo.catch_up`: a short window before it again)."""
            if after and before is not None:
                raise HTTPException(422, "ask either after (catching up) or before (reading back)")
            address = await self._address(token)
            await self._count_read(self.limiter, address)
            customer_id = await self.customer_id_for(address)
            async with self.core.sessions() as session:
                if after:
                    rows = await repo.catch_up(session, customer_id, after=after, limit=limit)
                    older = False
                else:
                    rows, older = await repo.recent_timeline(
                        session, customer_id, before=before, limit=limit
                    )
            return {"messages": [repo.message_object(m) for m in rows], "older": older}

        @router.websocket("/ws/webchat")
        async def live(websocket: WebSocket, token: str = "", after: int = 0) -> None:
            await self._serve_socket(websocket, token, min(max(after, 0), MAX_ROW_ID))

        return router

    async def _serve_socket(self, websocket: WebSocket, token: str, after: int) -> None:
        await websocket.accept()
        try:
            address = await self._address(token)
        except HTTPException as exc:
            await send_frame(websocket, {"type": "error", "error": str(exc.detail)})
            await websocket.close(code=4401)
            return
        try:
            await self._count_read(self.limiter, address)
        except Throttled as exc:
            await send_frame(websocket, {"type": "error", "error": exc.message})
            await websocket.close(code=1013)  # try again later
            return
        customer_id = await self.customer_id_for(address)
        reader = asyncio.create_task(self._read_frames(websocket, address))
        writer = asyncio.create_task(self._write_live(websocket, customer_id, after, address))
        try:
            await asyncio.wait({reader, writer}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (reader, writer):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await task
        if writer.done() and not writer.cancelled() and writer.exception() is None:
            # The session was ended while open: tell the browser, then close.
            with contextlib.suppress(Exception):
                await send_frame(websocket, {"type": "error", "error": SESSION_ENDED})
                await websocket.close(code=4401)

    async def _write_live(
        self, websocket: WebSocket, customer_id: int, after: int, address: str
    ) -> None:
        """Catch up, then forward live events; follow the customer through a join; return
        when this session is ended."""
        sent: set[int] = set()
        while True:
            async with self.core.hub.subscribe(customer_topic(customer_id)) as queue:
                # Subscribe first, then catch up: nothing falls between the two.
                async with self.core.sessions() as session:
                    backlog = await repo.catch_up(session, customer_id, after=max(after, 0))
                    talk = await talk_status_of(session, customer_id)
                for message in backlog:
                    if message.id not in sent:
                        sent.add(message.id)
                        await send_frame(
                            websocket, {"type": "message", "message": repo.message_object(message)}
                        )
                # A person's business (waiting for one, or taken): the chat says so from the
                # start; the bot answering is what a chat assumes when nothing is said.
                if talk["status"] in AGENT_STATES:
                    await websocket.send_json(talk)
                joined_into = await self._forward(websocket, queue, sent, address)
            if joined_into is None:
                return
            # This customer was joined into another: their whole timeline is ours now.
            customer_id, after = joined_into, 0

    async def _forward(
        self,
        websocket: WebSocket,
        queue: asyncio.Queue[dict[str, Any]],
        sent: set[int],
        address: str,
    ) -> int | None:
        while True:
            event = await queue.get()
            if event.get("type") == "merged":
                return int(event["customer_id"])
            if event.get("type") == "session_ended":
                if address in event.get("addresses", []):
                    return None
                continue
            message = event.get("message") or {}
            if event.get("type") == "message" and message.get("id") in sent:
                continue
            if message.get("id") is not None:
                sent.add(message["id"])
            await send_frame(websocket, event)

    async def _read_frames(self, websocket: WebSocket, address: str) -> None:
        # One worker per socket: its messages are stored and answered in the order sent.
        accepted: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        worker = asyncio.create_task(self._handle_frames(websocket, address, accepted))
        self._workers.add(worker)
        worker.add_done_callback(self._workers.discard)
        try:
            while True:
                try:
                    frame = await receive_frame(websocket)
                except (ValueError, KeyError):
                    refusal = {"type": "error", "error": "frames must be JSON objects"}
                    await send_frame(websocket, refusal)
                    continue
                error = self._frame_error(frame)
                if error is None:
                    try:
                        await self._count_message(self.limiter, address)
                    except Throttled as exc:
                        error = exc.message
                if error:
                    await send_frame(websocket, {"type": "error", "error": error})
                    continue
                accepted.put_nowait(frame)
        finally:
            accepted.put_nowait(None)  # the socket is gone: finish what it sent, then stop

    async def _handle_frames(
        self, websocket: WebSocket, address: str, accepted: asyncio.Queue[dict[str, Any] | None]
    ) -> None:
        while (frame := await accepted.get()) is not None:
            await self._handle_frame(websocket, address, frame)

    def _frame_error(self, frame: Any) -> str | None:
        if not isinstance(frame, dict) or frame.get("type", "message") != "message":
            return 'unknown frame; send {"type": "message", "text", "client_message_id"}'
        cid = frame.get("client_message_id")
        if not isinstance(cid, str) or not 1 <= len(cid) <= 100:
            return "client_message_id is required (1-100 characters)"
        text, payload = frame.get("text"), frame.get("payload")
        if text is not None and not isinstance(text, str):
            return "text must be a string"
        if payload is not None and (not isinstance(payload, str) or len(payload) > 1000):
            return "payload must be a string of at most 1000 characters"
        for name, value in (("client_message_id", cid), ("payload", payload)):
            if value is not None and replace_lone_surrogates(value)[1]:
                # Refused as the REST route refuses them; a text's are replaced instead.
                return f"{name} contains invalid characters (a lone UTF-16 surrogate)"
        try:
            self._check_text(text, payload)
        except HTTPException as exc:
            return str(exc.detail)
        return None

    async def _handle_frame(
        self, websocket: WebSocket, address: str, frame: dict[str, Any]
    ) -> None:
        typing: list[asyncio.Task[None]] = []

        def say_typing() -> None:
            typing.append(asyncio.ensure_future(send_frame(websocket, TYPING_ON)))

        dots = asyncio.get_running_loop().call_later(TYPING_AFTER_S, say_typing)
        try:
            await self.receive(address, frame, client_address(websocket))
        except Exception:
            log.exception("web chat message failed")
            with contextlib.suppress(Exception):
                await send_frame(
                    websocket, {"type": "error", "error": "message could not be processed"}
                )
        finally:
            dots.cancel()
            if typing:  # the dots were shown: hidden again once the turn is over
                with contextlib.suppress(Exception):
                    await typing[0]
                    await send_frame(websocket, TYPING_OFF)

"""Telegram through aiogram: webhook or polling in, the outbox's replies out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict

import aiohttp
from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import Response
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    AiogramError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramRetryAfter,
)
from aiogram.types import CallbackQuery, Message, Update
from aiogram.utils.token import TokenValidationError
from fastapi import APIRouter, Request

from adapters.base import SHUTDOWN_DRAIN_SECONDS, ChannelAdapter
from adapters.telegram.inbound import CHANNEL, callback_to_inbound, message_to_inbound
from adapters.telegram.rendering import (
    MAX_TEXT_LENGTH,
    CallbackPayloads,
    message_chunks,
    reply_markup,
)
from adapters.telegram.webhook import SECRET_HEADER, WEBHOOK_PATH, check_secret, parse_update
from bot.core import Core
from bot.messages import Capabilities, DeliveryError, InboundMessage, OutboundMessage
from bot.ratelimit import Limiter
from bot.store import repo

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
POLLING_TIMEOUT = 20  # seconds Telegram holds a getUpdates call open
START_RETRY_MAX_SECONDS = 300.0
# Bad requests that mean the chat is gone for good, not that our request was wrong.
PERMANENT_BAD_REQUESTS = ("chat not found", "peer_id_invalid")
NETWORK_ERRORS = (AiogramError, aiohttp.ClientError, OSError, TimeoutError)
# aiogram reads each answer as `Response[<the method's result>]`, and pydantic keeps such
# a parametrised model only while something refers to it: without this reference every
# sendMessage built the model class anew (about a fifth of the CPU a message cost here).
SEND_MESSAGE_RESPONSE = Response[Message]


def outbound_provider_id(chat_id: int, message_id: int) -> str:
    """Telegram message ids repeat across chats (and look like update ids): qualify them."""
    return f"out:{chat_id}:{message_id}"


class TelegramAdapter(ChannelAdapter):
    """The Telegram channel: a real aiogram Bot and Dispatcher against TELEGRAM_API_BASE."""

    name = CHANNEL
    label = "Telegram"
    capabilities = Capabilities(buttons=True, max_text_length=MAX_TEXT_LENGTH)

    def deep_link(self, token: str) -> str | None:
        """`t.me/<bot>?start=<token>`: opening it in Telegram joins this chat to the customer."""
        return f"https://t.me/{self.username}?start={token}" if self.username else None

    def __init__(self, core: Core, limiter: Limiter | None = None) -> None:
        super().__init__(core, limiter)
        settings = core.settings
        self._token = settings.telegram_bot_token or ""
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
        try:
            self.bot = Bot(self._token, session=session)
        except TokenValidationError as exc:
            raise ValueError(
                "TELEGRAM_BOT_TOKEN does not look like a BotFather token (<digits>:<secret>)"
            ) from exc
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(self._update_router())
        self.payloads = CallbackPayloads()
        self.username: str | None = None
        self._polling: asyncio.Task[None] | None = None
        self._starting: asyncio.Task[None] | None = None
        # message id → chunks already delivered, so a retry does not repeat them.
        self._chunks_sent: OrderedDict[int, int] = OrderedDict()

    # -- lifecycle -----------------------------------------------------------------
    async def connect(self) -> None:
        """getMe, then setWebhook (PUBLIC_URL set) or start polling; retried if Telegram is down."""
        try:
            await self._start()
        except NETWORK_ERRORS as exc:
            log.error("Telegram channel not started (%s); retrying", self._redact(exc))
            self._starting = asyncio.create_task(self._start_with_retries())

    async def disconnect(self) -> None:
        for task in (self._starting, self._polling):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
        self._starting = self._polling = None
        await self.drain(SHUTDOWN_DRAIN_SECONDS)
        await self.bot.session.close()

    def webhook_url(self) -> str:
        return (self.core.settings.public_url or "").rstrip("/") + WEBHOOK_PATH

    async def _start(self) -> None:
        me = await self.bot.me()  # cached: polling asks for it again
        self.username = me.username
        settings = self.core.settings
        if settings.public_url:
            if not settings.telegram_webhook_secret:
                log.error(
                    "Telegram webhook not set: PUBLIC_URL is set but TELEGRAM_WEBHOOK_SECRET is "
                    "not, and unsigned webhook calls are refused. Set the secret, or unset "
                    "PUBLIC_URL to use polling."
                )
                return
            await self.bot.set_webhook(
                url=self.webhook_url(),
                secret_token=settings.telegram_webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
            log.info("Telegram bot @%s: webhook %s", self.username, self.webhook_url())
            return
        # A webhook left from a deployment would make getUpdates fail with 409.
        await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=POLLING_TIMEOUT,
                allowed_updates=ALLOWED_UPDATES,
                # getUpdates confirms the previous batch: only once each update is stored.
                handle_as_tasks=False,
            )
        )
        log.info("Telegram bot @%s: polling for updates", self.username)

    async def _start_with_retries(self) -> None:
        delay = 1.0
        while True:
            await asyncio.sleep(delay)
            try:
                await self._start()
                return
            except NETWORK_ERRORS as exc:
                delay = min(delay * 2, START_RETRY_MAX_SECONDS)
                log.warning(
                    "Telegram still not started (%s); next try in %.0fs", self._redact(exc), delay
                )

    # -- inbound -------------------------------------------------------------------
    def _update_router(self) -> Router:
        router = Router(name="omnibot")

        @router.message()
        async def on_message(message: Message, event_update: Update) -> None:
            inbound = message_to_inbound(message, event_update.update_id, self.username)
            if inbound is not None:
                await self._store_then_answer(inbound, event_update.update_id)

        @router.edited_message()
        async def on_edit(message: Message) -> None:
            # The original was answered already; answering an edit would confuse.
            log.debug("ignored an edited Telegram message in chat %s", message.chat.id)

        @router.callback_query()
        async def on_button(callback: CallbackQuery, event_update: Update) -> None:
            payload = await self._button_payload(callback)
            inbound = callback_to_inbound(callback, payload)
            await self._store_then_answer(inbound, event_update.update_id)
            # Until answered, the user's client shows a spinner on the button.
            self.in_background(self._answer_callback(callback))

        return router

    async def _store_then_answer(self, inbound: InboundMessage, update_id: int) -> None:
        """Commit the update before Telegram is told it arrived (it never resends an
        acknowledged update), with the bot's turn when it can go at once; the replies (or
        the turn, when another of the chat's runs) follow in the background."""
        inbound.meta["sequence"] = update_id
        accepted = await self.admit(inbound)
        self.answer_later(accepted)

    async def _answer_callback(self, callback: CallbackQuery) -> None:
        try:
            await callback.answer()
        except NETWORK_ERRORS as exc:
            log.info("answerCallbackQuery failed: %s", self._redact(exc))

    async def _button_payload(self, callback: CallbackQuery) -> str | None:
        """The payload behind callback_data: as is, a remembered digest, or the stored buttons."""
        data = callback.data or ""
        payload = self.payloads.decode(data)
        message = callback.message
        if payload is not None or message is None:
            return payload
        # A digest from before a restart or from another instance: the pressed message
        # is stored (its provider id is ours) with its buttons' full payloads.
        async with self.core.sessions() as session:
            stored = await repo.find_message_by_provider_id(
                session, CHANNEL, outbound_provider_id(message.chat.id, message.message_id)
            )
        buttons = (stored.payload or {}).get("buttons", []) if stored is not None else []
        return self.payloads.find(data, [str(b.get("payload", "")) for b in buttons])

    def router(self) -> APIRouter:
        router = APIRouter(tags=["telegram"])

        @router.post(WEBHOOK_PATH)
        async def telegram_webhook(request: Request) -> dict[str, bool]:
            """Telegram's update push; signed with the secret token set by setWebhook."""
            expected = self.core.settings.telegram_webhook_secret
            check_secret(expected, request.headers.get(SECRET_HEADER))
            update = parse_update(await request.body(), self.bot)
            # 200 only once the update is stored (the handlers store it, with its turn
            # when they can, and deliver in the background): an error here is a 500, and
            # Telegram sends the update again.
            if update is not None:
                await self.dispatcher.feed_update(self.bot, update)
            return {"ok": True}

        return router

    # -- outbound ------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> str | None:
        """Send a stored reply as plain text (nothing to escape), split at 4096 characters."""
        try:
            chat_id = int(message.address)
        except ValueError:
            error = f"not a Telegram chat id: {message.address!r}"
            raise DeliveryError(error, permanent=True) from None
        chunks = message_chunks(message)
        markup = reply_markup(message, self.payloads)
        provider_id = None
        for index in range(self._chunks_sent.get(message.id, 0), len(chunks)):
            last = index == len(chunks) - 1
            try:
                sent = await self.bot.send_message(
                    chat_id, chunks[index], parse_mode=None, reply_markup=markup if last else None
                )
            except NETWORK_ERRORS as exc:
                raise self._delivery_error(exc) from exc
            self._remember_progress(message.id, index + 1)
            provider_id = outbound_provider_id(chat_id, sent.message_id)
        self._chunks_sent.pop(message.id, None)
        return provider_id

    def _remember_progress(self, message_id: int, chunks_sent: int) -> None:
        self._chunks_sent[message_id] = chunks_sent
        self._chunks_sent.move_to_end(message_id)
        while len(self._chunks_sent) > 1000:
            self._chunks_sent.popitem(last=False)

    def _delivery_error(self, exc: BaseException) -> DeliveryError:
        """Telegram's answer in the outbox's terms: when to retry, or never."""
        text = self._redact(exc)
        if isinstance(exc, TelegramRetryAfter):
            return DeliveryError(text, retry_after=float(exc.retry_after))
        if isinstance(exc, TelegramForbiddenError):  # blocked by the user, kicked, deactivated
            return DeliveryError(text, permanent=True)
        if isinstance(exc, TelegramBadRequest):
            gone = any(s in exc.message.lower() for s in PERMANENT_BAD_REQUESTS)
            return DeliveryError(text, permanent=gone)
        # A timeout may come after Telegram delivered the message.
        return DeliveryError(text, uncertain="timeout" in text.lower())

    def _redact(self, exc: BaseException) -> str:
        """An error for logs and the outbox row, never with the bot token in it."""
        text = f"{type(exc).__name__}: {exc}"
        return text.replace(self._token, "<token>") if self._token else text

"""A fake Telegram Bot API on 127.0.0.1 for tests: real aiogram talks to it over HTTP.

    with FakeTelegramAPI() as fake:            # or fake.start() / fake.stop()
        settings = Settings(telegram_api_base=fake.url, ...)
        fake.push_update(updates.text(42, "hello"))   # served by getUpdates (polling)
        fake.fail_next("sendMessage", 429, retry_after=1)
        [call] = await fake.wait_for("sendMessage")
        call.params["text"], call.params["reply_markup"]

It answers getMe, getUpdates, setWebhook, deleteWebhook, getWebhookInfo, sendMessage,
editMessageReplyMarkup and answerCallbackQuery, and records every call. The server runs
on its own event loop in a thread, so sync and async tests (and uvicorn) can use it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON_PARAMS = {"reply_markup", "allowed_updates", "entities", "link_preview_options"}
INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "timeout"}
DESCRIPTIONS = {
    400: "Bad Request: chat not found",
    403: "Forbidden: bot was blocked by the user",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Call:
    """One request the fake received, and what it answered."""

    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Failure:
    status: int
    description: str
    retry_after: float | None = None


class FakeTelegramAPI:
    """The Bot API methods the Telegram adapter uses, with scripted failures."""

    def __init__(self, bot_username: str = "omnibot_test_bot", max_poll_wait: float = 0.5) -> None:
        self.bot_username = bot_username
        self.max_poll_wait = max_poll_wait
        # Seconds each sendMessage waits before it is accepted (a slow or stalled API).
        self.send_delay = 0.0
        self.calls: list[Call] = []
        self.webhook: dict[str, Any] | None = None
        self.url = ""
        self._lock = threading.Lock()
        self._failures: dict[str, deque[Failure | None]] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_message_id = 1000
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._new_update: asyncio.Event | None = None
        self._closing = False

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeTelegramAPI:
        """Serve on a free port of 127.0.0.1; `url` is the TELEGRAM_API_BASE to use."""
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._serve(sock))
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=serve, name="fake-telegram-api", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the fake Telegram API did not start")
        return self

    async def _serve(self, sock: socket.socket) -> None:
        self._new_update = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        self._closing = True
        loop = self._loop
        if self._new_update is not None:
            loop.call_soon_threadsafe(self._new_update.set)
        if self._runner is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._runner.cleanup(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(5)
        loop.close()
        self._loop = self._thread = None

    def __enter__(self) -> FakeTelegramAPI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting -----------------------------------------------------------------
    def fail_next(
        self,
        method: str = "sendMessage",
        status: int = 429,
        *,
        retry_after: float | None = None,
        description: str | None = None,
        times: int = 1,
        after: int = 0,
    ) -> None:
        """Answer `times` calls of `method`, after letting `after` calls through, with an
        error: 429 (with retry_after, default 1), 403 (blocked), 400 (chat not found), 500…"""
        if status == 429 and retry_after is None:
            retry_after = 1
        text = description or DESCRIPTIONS.get(status, "Error").format(retry_after=retry_after)
        with self._lock:
            queue = self._failures.setdefault(method, deque())
            queue.extend(None for _ in range(after))
            queue.extend(Failure(status, text, retry_after) for _ in range(times))

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (polling mode)."""
        with self._lock:
            self._updates.append(update)
        if self._loop is not None and self._new_update is not None:
            self._loop.call_soon_threadsafe(self._new_update.set)

    def clear_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # -- inspecting ----------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def sent_messages(self) -> list[Call]:
        """sendMessage calls that succeeded."""
        return [c for c in self.calls_to("sendMessage") if c.status == 200]

    async def wait_for(self, method: str, count: int = 1, within: float = 15.0) -> list[Call]:
        """The successful calls of `method`, once there are `count` (AssertionError if not
        within `within` seconds)."""
        deadline = time.monotonic() + within
        while True:
            calls = [c for c in self.calls_to(method) if c.status == 200]
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} successful {method} call(s) expected, got {calls}")
            await asyncio.sleep(0.02)

    def wait_for_sync(self, method: str, count: int = 1, within: float = 15.0) -> list[Call]:
        """wait_for, for tests without an event loop."""
        deadline = time.monotonic() + within
        while True:
            calls = [c for c in self.calls_to(method) if c.status == 200]
            if len(calls) >= count:
                return calls
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} successful {method} call(s) expected, got {calls}")
            time.sleep(0.02)

    # -- the API -------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        call = Call(method, params)
        with self._lock:
            self.calls.append(call)
            queue = self._failures.get(method)
            failure = queue.popleft() if queue else None
        if failure is not None:
            call.status = failure.status
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return web.json_response(body, status=failure.status)
        token = request.match_info["token"]
        answer = getattr(self, f"_api_{method}", None)
        if answer is None:
            call.status = 404
            body = {"ok": False, "error_code": 404, "description": "Not Found: method not found"}
            return web.json_response(body, status=404)
        call.result = await answer(params, token)
        return web.json_response({"ok": True, "result": call.result})

    @staticmethod
    async def _params(request: web.Request) -> dict[str, Any]:
        raw: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw.update(await request.json())
        elif request.can_read_body:
            raw.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if isinstance(value, str) and key in JSON_PARAMS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif isinstance(value, str) and key in INT_PARAMS:
                with contextlib.suppress(ValueError):
                    value = int(value)
            params[key] = value
        return params

    def _bot_user(self, token: str) -> dict[str, Any]:
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        return {
            "id": bot_id,
            "is_bot": True,
            "first_name": "Omnibot",
            "username": self.bot_username,
        }

    async def _api_getMe(self, params: dict[str, Any], token: str) -> Any:
        return {**self._bot_user(token), "can_join_groups": True}

    async def _api_setWebhook(self, params: dict[str, Any], token: str) -> Any:
        self.webhook = params
        return True

    async def _api_deleteWebhook(self, params: dict[str, Any], token: str) -> Any:
        self.webhook = None
        return True

    async def _api_getWebhookInfo(self, params: dict[str, Any], token: str) -> Any:
        url = (self.webhook or {}).get("url", "")
        return {"url": url, "has_custom_certificate": False, "pending_update_count": 0}

    async def _api_answerCallbackQuery(self, params: dict[str, Any], token: str) -> Any:
        return True

    async def _api_sendMessage(self, params: dict[str, Any], token: str) -> Any:
        if self.send_delay:
            await asyncio.sleep(self.send_delay)
        with self._lock:
            self._next_message_id += 1
            message_id = self._next_message_id
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": params.get("chat_id"), "type": "private"},
            "from": self._bot_user(token),
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any], token: str) -> Any:
        if "inline_message_id" in params:
            return True
        message: dict[str, Any] = {
            "message_id": params.get("message_id"),
            "date": int(time.time()),
            "chat": {"id": params.get("chat_id"), "type": "private"},
            "from": self._bot_user(token),
            "text": "",
        }
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        return message

    async def _api_getUpdates(self, params: dict[str, Any], token: str) -> Any:
        """Long polling: the updates from `offset` on, waiting briefly for one to come."""
        assert self._new_update is not None
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while True:
            self._new_update.clear()
            with self._lock:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
                pending = list(self._updates)
            left = deadline - time.monotonic()
            if pending or left <= 0 or self._closing:
                return pending
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), left)

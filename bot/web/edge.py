"""The one middleware of ours every request passes through (pure ASGI: WebSockets included,
bodies and responses streamed untouched, one wrapper of `send` and one of `receive`).

HTTP requests:
- a request id (the caller's `X-Request-ID` when sane) in every log line and in the
  response's `X-Request-ID`; the duration per route and status in the metrics; one access
  log line (bot.observability);
- the security headers of bot.web.security on every response that did not set its own;
- CORS: the widget runs on the shop's own site, so any origin may call the API: a request
  with an `Origin` gets `Access-Control-Allow-Origin: *` and may read `X-Request-ID`;
  preflights are answered here (starlette's rules: GET and POST, JSON bodies, the
  `Authorization` and `X-Request-ID` headers); no credentials (staff tokens are bearer
  tokens, never cookies sent cross-site);
- a request body must keep arriving: `HTTP_BODY_TIMEOUT_SECONDS` at most between chunks,
  else 408 (uvicorn would wait for a stalled body forever);
- a request body may be `MAX_BODY_BYTES` long (a few routes more, e.g. imports): a longer
  declared length is refused before a byte is read, a longer body while it arrives — 413
  with a `detail`, as every refusal (starlette's own limit answers in plain text, past our
  headers).

WebSockets: the request id, the gauge of open sockets, and at most
`WS_CONNECTIONS_PER_IP` open at once from one client address (beyond, the handshake is
refused):
a socket is held for as long as its client likes, so without a cap per address one client
could hold every one of `MAX_CONNECTIONS` and lock everybody else out.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from starlette.websockets import WebSocket

from bot import metrics
from bot.jsonenc import JsonResponse
from bot.observability import REQUEST_ID, new_request_id, open_sockets, record_request
from bot.web.security import RESPONSE_HEADERS

log = logging.getLogger(__name__)

CORS_EXPOSED = (
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"X-Request-ID"),
)
_SECURITY_NAMES = frozenset(name for name, _ in RESPONSE_HEADERS)
_CORS_NAMES = frozenset(name for name, _ in CORS_EXPOSED)


def response_headers(
    headers: list[tuple[bytes, bytes]], request_id: bytes, cross_origin: bool
) -> list[tuple[bytes, bytes]]:
    """A response's headers as they leave: the security headers it did not set, CORS's
    when the request came from another origin, `Vary: Origin`, and the request id."""
    kept: list[tuple[bytes, bytes]] = []
    varies: list[bytes] = []
    present: set[bytes] = set()
    for name, value in headers:
        lower = name.lower()
        if lower == b"vary":
            varies.append(value)
        elif not (cross_origin and lower in _CORS_NAMES):
            kept.append((name, value))
            if lower in _SECURITY_NAMES:
                present.add(lower)
    kept.extend(header for header in RESPONSE_HEADERS if header[0] not in present)
    if cross_origin:
        kept.extend(CORS_EXPOSED)
    # Whether CORS headers come depends on Origin: caches must keep the two answers apart.
    if not any(t.strip().lower() == b"origin" for v in varies for t in v.split(b",")):
        varies.append(b"Origin")
    kept.append((b"vary", b", ".join(varies)))
    kept.append((b"x-request-id", request_id))
    return kept


def too_large(scope: Scope, limit: int) -> HTTPException:
    """The refusal of a body over `limit` bytes (logged and counted)."""
    metrics.HTTP_ERRORS.labels("body_too_large").inc()
    log.info("refused a request body over %d bytes: %s", limit, scope.get("path"))
    return HTTPException(413, f"request body too large: at most {limit:,} bytes")


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        *,
        body_timeout: float,
        max_body_bytes: int,
        larger_bodies: Mapping[str, int],
        sockets_per_address: int,
    ) -> None:
        self.app = app
        self.body_timeout = body_timeout
        self.max_body_bytes = max_body_bytes
        self.larger_bodies = dict(larger_bodies)  # path → its own limit
        self.sockets_per_address = sockets_per_address
        self._sockets: dict[str, int] = {}  # open (or opening) sockets per client address
        # Answers preflights only; other requests get CORS_EXPOSED from `response_headers`.
        self._preflight = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "websocket":
            await self._websocket(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        given = origin = None
        preflight = False
        declared = 0
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
            elif name == b"origin":
                origin = value
            elif name == b"access-control-request-method":
                preflight = scope["method"] == "OPTIONS"
            elif name == b"content-length" and value.isdigit():
                declared = int(value)
        limit = self.larger_bodies.get(scope["path"], self.max_body_bytes)
        request_id = new_request_id(given)
        token = REQUEST_ID.set(request_id)
        encoded_id = request_id.encode()
        cross_origin = origin is not None
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = response_headers(
                    list(message.get("headers", ())), encoded_id, cross_origin
                )
            await send(message)

        try:
            if cross_origin and preflight:
                response = self._preflight.preflight_response(request_headers=Headers(scope=scope))
                await response(scope, receive, send_with_headers)
            elif declared > limit:  # refused before a byte of it is read
                refusal = too_large(scope, limit)
                await JsonResponse({"detail": refusal.detail}, 413)(
                    scope, receive, send_with_headers
                )
            else:
                await self.app(scope, self._body_guard(scope, receive, limit), send_with_headers)
        finally:
            record_request(scope, status, time.perf_counter() - started)  # with the id
            REQUEST_ID.reset(token)

    def _body_guard(self, scope: Scope, receive: Receive, limit: int) -> Receive:
        """`receive`, with 408 when the next chunk of the body takes over `body_timeout`
        and 413 once the body grows over `limit` bytes."""
        body_done = False
        received = 0
        timeout = self.body_timeout

        async def receive_in_time() -> Message:
            nonlocal body_done, received
            if body_done:  # afterwards receive() only waits for a disconnect: no deadline
                return await receive()
            try:
                async with asyncio.timeout(timeout):
                    message = await receive()
            except TimeoutError:
                log.info("request body stalled for %ss: %s", timeout, scope.get("path"))
                raise HTTPException(408, "request body too slow") from None
            body_done = message["type"] != "http.request" or not message.get("more_body")
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large(scope, limit)
            return message

        return receive_in_time

    async def _websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        given = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                given = value.decode("latin-1")
        token = REQUEST_ID.set(new_request_id(given))
        client = scope.get("client")
        address = client[0] if client else "unknown"
        held = self._sockets.get(address, 0)
        if held >= self.sockets_per_address:
            try:
                await self._refuse_socket(scope, receive, send, address)
            finally:
                REQUEST_ID.reset(token)
            return
        self._sockets[address] = held + 1
        gauge = open_sockets(scope)
        accepted = False

        async def counting_send(message: Message) -> None:
            nonlocal accepted
            if message["type"] == "websocket.accept" and not accepted:
                accepted = True
                gauge.inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                gauge.dec()
            left = self._sockets[address] - 1
            if left:
                self._sockets[address] = left
            else:
                del self._sockets[address]
            REQUEST_ID.reset(token)

    async def _refuse_socket(
        self, scope: Scope, receive: Receive, send: Send, address: str
    ) -> None:
        """Refuse the handshake (a close before accepting: HTTP 403 to the client), so that a
        widget backs off as from a failed connection instead of retrying a socket that
        opened."""
        metrics.HTTP_ERRORS.labels("websockets_per_address").inc()
        log.warning(
            "refused a WebSocket from %s: %d open already (WS_CONNECTIONS_PER_IP)",
            address,
            self.sockets_per_address,
        )
        await WebSocket(scope, receive, send).close(1013)  # 1013: try again later

"""How uvicorn serves the app: limits and timeouts for slow or greedy clients, all settings.

The event loop is uvloop's and requests are parsed by httptools (both C; where uvloop does
not install, on Windows, asyncio's loop serves).

- Request headers must arrive within `HTTP_HEADER_TIMEOUT_SECONDS` of a connection opening
  (or of a kept-alive connection starting its next request), else the connection is closed:
  uvicorn itself waits for them forever, so 100 slow clients hold 100 connections.
- Request headers may be `HTTP_MAX_HEADER_BYTES` long, else 431 and the connection closes:
  httptools keeps every header line it is sent, so one client could fill the memory with
  hundreds of megabytes of headers within the deadline.
- A request body must keep arriving: `HTTP_BODY_TIMEOUT_SECONDS` between chunks, else 408
  (bot.web.edge, the app's middleware).
- Idle kept-alive connections close after `HTTP_KEEP_ALIVE_SECONDS`; at most
  `MAX_CONNECTIONS` at once (503 beyond); WebSocket frames over `WS_MAX_FRAME_BYTES` close
  the socket (1009); forwarded client addresses are trusted only from `FORWARDED_ALLOW_IPS`.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from bot import metrics
from bot.settings import Settings

log = logging.getLogger(__name__)


def _base_http_protocol() -> type[asyncio.Protocol]:
    """httptools' parser (C, a dependency), or h11's (pure Python) where it cannot install."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    except ImportError:  # httptools is optional in uvicorn; h11 always ships
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol


def _event_loop() -> str:
    """uvloop where it is installed (not on Windows: pyproject's marker), else asyncio's."""
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return "asyncio"
    return "uvloop"


HEADERS_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: application/json\r\ncontent-length: %d\r\nconnection: close\r\n\r\n%s"
)


def header_deadline_protocol(timeout: float, max_header_bytes: int) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, closing connections whose request headers are too slow or
    too long."""
    base: Any = _base_http_protocol()
    detail = b'{"detail":"request headers too large: at most %d bytes"}' % max_header_bytes
    refusal = HEADERS_TOO_LARGE % (len(detail), detail)

    class HeaderDeadlineProtocol(base):  # type: ignore[misc]
        _deadline: asyncio.TimerHandle | None = None
        _header_bytes = 0  # received while waiting for the current request's headers

        def _waiting_for_headers(self) -> bool:
            cycle = getattr(self, "cycle", None)
            upgraded = self.transport.get_protocol() is not self
            return not upgraded and (cycle is None or cycle.response_complete)

        def _arm(self) -> None:
            if self._deadline is None:
                self._deadline = self.loop.call_later(timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            if self._waiting_for_headers() and not self.transport.is_closing():
                log.info("closing a connection that sent no request headers in %ss", timeout)
                self.transport.close()

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            self._arm()

        def data_received(self, data: bytes) -> None:
            if self._waiting_for_headers():
                # Counted before parsing: a chunk that completes the headers may carry a
                # body too, and the count starts again once the headers are complete.
                if self._header_bytes > max_header_bytes:
                    self._refuse_headers()
                    return
                self._header_bytes += len(data)
            super().data_received(data)
            if self.transport.is_closing() or not self._waiting_for_headers():
                self._disarm()
                self._header_bytes = 0
            else:
                self._arm()  # a kept-alive connection starting its next request

        def _refuse_headers(self) -> None:
            metrics.HTTP_ERRORS.labels("headers_too_large").inc()
            log.info("refused request headers over %d bytes", max_header_bytes)
            self._disarm()
            self.transport.write(refusal)
            self.transport.close()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._disarm()  # uvicorn's keep-alive timeout takes over until the next bytes

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

    return HeaderDeadlineProtocol


# How long a thread may hold the GIL while another wants it (CPython's default: 5 ms).
GIL_SWITCH_INTERVAL_S = 0.0005


def hand_over_the_gil_sooner() -> None:
    """Let the store's and the NLU's threads have the GIL sooner.

    The event loop runs Python almost all the time under load; a store or encoder thread
    whose C call has returned waits for the GIL up to the switch interval each time — with
    CPython's 5 ms, a SQLite commit (several such hand-overs) took milliseconds while the
    database's writer was held, and every other customer's commit waited behind it. A tenth
    of that gave about 30 % more web chat messages/s under load (see README, Benchmarks).
    """
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)


# Allocations (net of frees) between young-generation collections (CPython's default: 700).
GC_YOUNG_THRESHOLD = 10_000


def settle_the_heap() -> None:
    """Once the server is ready: what its start built (the language model's vocabulary, the
    catalog, the ORM's mappers, the app's routes: millions of objects) is set aside from the
    cyclic garbage collector's passes, and the young generation is collected less often.

    Every full collection walked all of it: 100-190 ms with the event loop stopped, a few
    times a minute under load — the slowest replies of a run were the ones that waited for
    it. What is frozen is never freed, which is what these objects live for anyway; what
    later turns allocate is collected as before (reference counting frees almost all of it
    at once, the collector only finds cycles)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def server_config(app: ASGIApp, settings: Settings, **overrides: Any) -> uvicorn.Config:
    """The uvicorn configuration `omnibot run` (and the live-server tests) serve with."""
    values: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": "warning",
        "loop": _event_loop(),
        "http": header_deadline_protocol(
            settings.http_header_timeout_seconds, settings.http_max_header_bytes
        ),
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        "limit_concurrency": settings.max_connections,
        "ws_max_size": settings.ws_max_frame_bytes,
        # A chat frame is a few hundred bytes of JSON: compressing each one cost about 5 %
        # of the server's CPU under load for a saving a customer never notices.
        "ws_per_message_deflate": False,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }
    values.update(overrides)
    return uvicorn.Config(app, **values)

"""JSON where every message passes: error responses, WebSocket frames, pub/sub events.

orjson encodes several times faster than the standard library, to the same compact UTF-8
text starlette writes (no spaces, no \\u escapes); dict keys that are not strings (an int
id) become strings, as `json.dumps` makes them. Responses of routes with a return type are
encoded by FastAPI itself (pydantic's encoder), which is as fast.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson
from starlette.responses import JSONResponse
from starlette.websockets import WebSocket

_OPTIONS = orjson.OPT_NON_STR_KEYS
loads = orjson.loads  # raises orjson.JSONDecodeError, a ValueError


def dumps(value: Any, default: Callable[[Any], Any] | None = None) -> bytes:
    return orjson.dumps(value, default=default, option=_OPTIONS)


class JsonResponse(JSONResponse):
    """starlette's JSONResponse, encoded by orjson."""

    def render(self, content: Any) -> bytes:
        return dumps(content)


async def send_frame(websocket: WebSocket, value: Any) -> None:
    """`websocket.send_json(value)` (a text frame), encoded by orjson."""
    await websocket.send_text(dumps(value).decode())


async def receive_frame(websocket: WebSocket) -> Any:
    """`websocket.receive_json()`: ValueError for a frame that is not JSON, KeyError for a
    binary frame, WebSocketDisconnect when the socket closed."""
    text = await websocket.receive_text()
    try:
        return loads(text)
    except ValueError:
        # orjson refuses a lone surrogate escape ("\ud83d" of an emoji cut in half), which
        # the standard library reads, as the REST routes do: the frame is then taken like
        # the same request body, its text cleaned like any other.
        return json.loads(text)

"""Every route is reachable: no route matched before it (channels' come first, for speed)
answers its path and method instead."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.routing import BaseRoute, Match, Mount, WebSocketRoute

from bot.app import create_app
from tests.conftest import make_settings


def leaves(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The routes in the order a request is matched against them."""
    found: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        found.extend(leaves(included.routes) if included is not None else [route])
    return found


def test_every_route_answers_its_own_path(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path, api_docs=True))
    ordered = leaves(app.router.routes)
    assert len(ordered) > 50
    for route in ordered:
        path = re.sub(r"\{[^}]+\}", "1", getattr(route, "path", ""))
        if isinstance(route, Mount):
            path += "/asset.js"
        kind = "websocket" if isinstance(route, WebSocketRoute) else "http"
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            scope: dict[str, Any] = {
                "type": kind,
                "method": method,
                "path": path,
                "root_path": "",
                "headers": [],
            }
            first = next(r for r in ordered if r.matches(scope)[0] == Match.FULL)
            assert first is route, f"{method} {path} goes to {getattr(first, 'path', first)}"

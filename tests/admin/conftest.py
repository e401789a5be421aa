"""Operator API fixtures: the real app (admin router mounted), staff of every role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import create_app
from bot.auth import create_user
from bot.settings import Settings
from tests.conftest import make_settings

PASSWORD = "correct horse"
STAFF = {"agent": "ala@shop.pl", "operator": "ola@shop.pl", "admin": "adam@shop.pl"}


def mount_admin(app: Any) -> None:
    """Until bot.app mounts the admin router itself (idempotent)."""
    from bot.api import admin

    if not any(getattr(r, "path", "").startswith("/api/admin") for r in app.routes):
        app.include_router(admin.router)


class Admin:
    """The app, an HTTP client and a bearer header per staff role."""

    def __init__(self, app: Any, http: httpx.AsyncClient, headers: dict[str, dict[str, str]]):
        self.app = app
        self.http = http
        self.headers = headers
        self._n = 0

    @property
    def op(self) -> dict[str, str]:
        return self.headers["operator"]

    @property
    def content(self) -> Any:
        return self.app.state.content

    async def settled(self, timeout: float = 30.0) -> None:
        assert await self.content.settled(timeout), self.content.status()

    async def chat(self) -> Any:
        r = await self.http.post("/api/webchat/sessions")
        token = r.json()["session_token"]

        async def say(text: str) -> list[str]:
            self._n += 1
            r = await self.http.post(
                "/api/webchat/messages",
                json={"session_token": token, "text": text, "client_message_id": f"m{self._n}"},
            )
            assert r.status_code == 200, r.text
            return [m["text"] for m in r.json()["replies"]]

        say.token = token  # type: ignore[attr-defined]
        return say


@pytest.fixture
async def admin_env(tmp_path: Path, database_url: str) -> AsyncIterator[Admin]:
    async with admin_app(make_settings(tmp_path, database_url=database_url)) as env:
        yield env


@pytest.fixture
async def sqlite_admin(tmp_path: Path) -> AsyncIterator[Admin]:
    async with admin_app(make_settings(tmp_path)) as env:
        yield env


@asynccontextmanager
async def admin_app(settings: Settings) -> AsyncIterator[Admin]:
    """Like tests.conftest.running_app, with the admin router mounted and staff logged in."""
    app = create_app(settings)
    mount_admin(app)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            async with app.state.core.sessions() as s:
                for role, email in STAFF.items():
                    await create_user(s, email, PASSWORD, role)
            headers = {}
            for role, email in STAFF.items():
                r = await http.post(
                    "/api/auth/token", data={"username": email, "password": PASSWORD}
                )
                headers[role] = {"Authorization": f"Bearer {r.json()['access_token']}"}
            yield Admin(app, http, headers)

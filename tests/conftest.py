"""Shared fixtures: settings on a temp data dir, the real app on SQLite or PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import uvicorn
import yaml

from bot.app import create_app
from bot.server import server_config
from bot.settings import Settings

T = TypeVar("T")

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# A server's model NLU parses on a thread of its own process in tests (each parse worker
# process loads the encoder again); tests of the worker, and the journeys' shop, turn it on.
os.environ.setdefault("NLU_PROCESS", "false")


def _open_all_day_catalog() -> Path:
    """The demo catalog, open around the clock: no test may depend on the time of day it
    runs at (the tests of opening hours set their own)."""
    from knowledge.catalog import DEFAULT_CATALOG
    from knowledge.shop import WEEKDAYS

    raw = yaml.safe_load(DEFAULT_CATALOG.read_text(encoding="utf-8"))
    raw["shop"]["hours"] = dict.fromkeys(WEEKDAYS, "00:00-24:00")
    path = Path(tempfile.mkdtemp(prefix="omnibot-test-catalog-")) / "catalog.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


# Servers started by tests (in-process or as subprocesses) read it from the environment.
os.environ.setdefault("CATALOG_PATH", str(_open_all_day_catalog()))

# One on-disk cache (the model's ONNX export, its int8 copy, the examples' embeddings) for
# every test that loads the real NLU, kept across sessions: each new directory costs a first
# start (15-20 s of CPU), the tests of that first start (tests/deploy) make their own.
NLU_CACHE = Path(
    os.environ.get("OMNIBOT_TEST_NLU_CACHE")
    or Path(tempfile.gettempdir()) / "omnibot-tests" / "nlu-cache"
)

REQUIRE_SERVICES = os.environ.get("OMNIBOT_REQUIRE_SERVICES") == "1"
PG_ADMIN_DSN = os.environ.get("OMNIBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_TEST_URL = os.environ.get("OMNIBOT_TEST_REDIS", "redis://127.0.0.1:6379/15")


def service_unavailable(what: str) -> None:
    """Skip on a machine without the service; fail when CI requires services."""
    if REQUIRE_SERVICES:
        pytest.fail(f"{what} is required (OMNIBOT_REQUIRE_SERVICES=1) but not reachable")
    pytest.skip(f"{what} not reachable")  # services missing; OMNIBOT_REQUIRE_SERVICES=1 fails


def make_settings(data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "omnibot_data_dir": data_dir,
        "nlu_backend": "keywords",
        "secret_key": "test-secret-key-for-the-test-suite-only",
        "webchat_new_sessions_per_ip": 100_000,  # tests open many sessions from one host
        "messages_per_minute": 100_000,  # and type faster than people (limits tested apart)
        "webchat_reads_per_minute": 100_000,  # and reload faster than people
        "nlu_parse_per_minute": 100_000,
        # Staff log in to most test apps: argon2 at its lowest cost (production's is ~0.2 s
        # per hash); tests/api/test_login_and_tokens.py checks the setting itself.
        "password_hash_time_cost": 1,
        "password_hash_memory_kib": 8,
        "password_hash_parallelism": 1,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[object, httpx.AsyncClient]]:
    """The real app with its lifespan, and an HTTP client talking to it in-process."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(settings) as (_, http):
        yield http


@asynccontextmanager
async def postgres_database() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database; its SQLAlchemy URL. Dropped afterwards."""
    try:
        import asyncpg

        admin = await asyncpg.connect(PG_ADMIN_DSN, timeout=5)
    except Exception:
        service_unavailable("PostgreSQL at 127.0.0.1:5432")
    name = f"omnibot_test_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    # Commits are not waited onto disk (4-9 ms each here, 0.5 ms without): the same SQL,
    # locks and visibility; only a crash of the PostgreSQL server could lose the last
    # ones, and no test crashes it.
    await admin.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    try:
        base = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The store tests run on both backends."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'store.db'}"
        return
    async with postgres_database() as url:
        yield url


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_TEST_URL)
    try:
        await asyncio.wait_for(client.ping(), 3)
    except Exception:
        await client.aclose()
        service_unavailable("Redis at 127.0.0.1:6379")
    await client.flushdb()
    yield REDIS_TEST_URL
    await client.flushdb()
    await client.aclose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The real app served by uvicorn on 127.0.0.1 in a background thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings)
        config = server_config(self.app, settings, host="127.0.0.1", port=self.port)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.server.started:
                return
            if not self.thread.is_alive():
                raise RuntimeError("server thread died")
            time.sleep(0.05)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60) -> T:
        """Run `coroutine` on the server's event loop (from a thread of a synchronous test,
        e.g. Playwright's) and return its result."""
        loop = self.app.state.core.loop  # type: ignore[attr-defined]
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)


@asynccontextmanager
async def live_instances(
    tmp_path: Path, database_url: str, redis_url: str, **overrides: object
) -> AsyncIterator[tuple[LiveServer, LiveServer]]:
    """Two instances ("a" and "b") of the real app on one database and one Redis: a
    scale-out deployment in one process. Both are stopped afterwards, also on a failure."""
    servers: list[LiveServer] = []
    try:
        for name in ("a", "b"):
            settings = make_settings(
                tmp_path / name, database_url=database_url, redis_url=redis_url, **overrides
            )
            server = LiveServer(settings)
            await asyncio.to_thread(server.start)
            servers.append(server)
        yield servers[0], servers[1]
    finally:
        for server in servers:
            await asyncio.to_thread(server.stop)


@asynccontextmanager
async def live_on_postgres(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """One instance of the real app on a fresh PostgreSQL database, stopped afterwards."""
    async with postgres_database() as database_url:
        server = LiveServer(make_settings(tmp_path, database_url=database_url))
        await asyncio.to_thread(server.start)
        try:
            yield server
        finally:
            await asyncio.to_thread(server.stop)


@pytest.fixture
def live_server(settings: Settings) -> Iterator[LiveServer]:
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()

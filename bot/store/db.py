"""Engine, sessions and migrations for the context store (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import logging
import weakref
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import NullPool
from sqlalchemy.util import await_only

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url and not url.endswith(":///:memory:"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and enforced foreign keys."""
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, connect_args={"timeout": 30}, pool_size=8, max_overflow=16, pool_timeout=60
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        queue_sqlite_writers(engine)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


WRITER_WAIT_S = 30.0
_READS = ("SELECT", "WITH", "PRAGMA", "EXPLAIN")


def queue_sqlite_writers(engine: AsyncEngine) -> None:
    """Writers of one SQLite database take turns in the event loop, first come first served.

    SQLite has one writer at a time; a connection that finds the database locked sleeps in
    SQLite's busy handler (1, 2, 5 … up to 100 ms between tries), which under many
    concurrent customers made for seconds of latency with an idle CPU. Instead, the first
    write statement of a transaction waits here for its turn (woken the moment the previous
    writer is done), and the turn ends when the connection goes back to the pool, i.e.
    after its commit or rollback. Reads never wait (WAL).
    """
    locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
        weakref.WeakKeyDictionary()
    )

    def writer_lock() -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = locks.get(loop)
        if lock is None:
            lock = locks[loop] = asyncio.Lock()
        return lock

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _wait_for_turn(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if "writer_lock" in conn.info or statement.lstrip()[:7].upper().startswith(_READS):
            return
        lock = writer_lock()
        try:
            await_only(asyncio.wait_for(lock.acquire(), WRITER_WAIT_S))
        except TimeoutError:
            log.error("waited %.0f s for SQLite's writer queue", WRITER_WAIT_S)
            raise
        conn.info["writer_lock"] = lock

    def _end_turn(_dbapi_conn: Any, record: Any, *_: Any) -> None:
        lock = record.info.pop("writer_lock", None) if record is not None else None
        if lock is not None:
            lock.release()

    for name in ("checkin", "invalidate", "close"):
        event.listen(engine.sync_engine.pool, name, _end_turn)


def create_migration_engine(url: str) -> AsyncEngine:
    _ensure_sqlite_dir(url)
    return create_async_engine(url, poolclass=NullPool)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return cfg


def _upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def upgrade_database(url: str) -> None:
    """Apply every Alembic migration (run on start and by `omnibot db upgrade`)."""
    engine = create_migration_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()

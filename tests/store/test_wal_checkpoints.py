"""The server's SQLite connections leave the write-ahead log to a background checkpoint: no
customer's commit copies it back into the database (with the writer's turn held, every
other customer waited), and the log is still copied whole and started again."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.store.db import WalCheckpoints, create_engine

PAGE = 4096
# SQLite's default: the commit that takes the log past 1,000 pages checkpoints it.
AUTOCHECKPOINT_PAGES = 1000


def log_bytes(db: Path) -> int:
    return os.path.getsize(f"{db}-wal")


async def write_pages(engine: AsyncEngine, pages: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS t (v BLOB)"))
    for _ in range(pages // 20):  # many small commits, as customers' turns are
        async with engine.begin() as conn:
            rows = [{"v": os.urandom(PAGE - 100)} for _ in range(20)]
            await conn.execute(text("INSERT INTO t VALUES (:v)"), rows)


async def test_commits_leave_the_log_to_the_background_checkpoint(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    engine = create_engine(f"sqlite+aiosqlite:///{db}", background_checkpoints=True)
    checkpoints = WalCheckpoints(str(db), every_s=0.01)
    try:
        await write_pages(engine, 2 * AUTOCHECKPOINT_PAGES)
        # No commit copied the log back: it holds every page written.
        assert log_bytes(db) > 2 * AUTOCHECKPOINT_PAGES * PAGE
        checkpoints.start()
        await asyncio.sleep(0.2)
        await checkpoints.stop()  # after a last checkpoint
        busy, frames, copied = await asyncio.to_thread(checkpoints.checkpoint)
        assert busy == 0 and frames == copied  # the whole log is in the database
        size = log_bytes(db)
        # A log copied back whole is started again from its beginning: it does not grow.
        await write_pages(engine, AUTOCHECKPOINT_PAGES // 2)
        assert log_bytes(db) <= size
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
        assert stored == 2 * AUTOCHECKPOINT_PAGES + AUTOCHECKPOINT_PAGES // 2
    finally:
        await checkpoints.stop()
        await engine.dispose()


async def test_other_engines_checkpoint_as_sqlite_does(tmp_path: Path) -> None:
    """Engines of other commands (the CLI, migrations) keep SQLite's own checkpoints."""
    db = tmp_path / "cli.db"
    engine = create_engine(f"sqlite+aiosqlite:///{db}")
    try:
        await write_pages(engine, 2 * AUTOCHECKPOINT_PAGES)
        assert log_bytes(db) < 1.5 * AUTOCHECKPOINT_PAGES * PAGE
    finally:
        await engine.dispose()


async def test_stopping_while_a_checkpoint_runs_waits_for_it(tmp_path: Path) -> None:
    """A server stopping while its checkpoint runs in a worker thread: the checkpoint ends
    before the connection is closed (closing under it crashed the process)."""
    db = tmp_path / "server.db"
    engine = create_engine(f"sqlite+aiosqlite:///{db}", background_checkpoints=True)
    try:
        await write_pages(engine, AUTOCHECKPOINT_PAGES)
        for _ in range(30):
            checkpoints = WalCheckpoints(str(db), every_s=0)
            checkpoints.start()
            await write_pages(engine, 40)  # checkpoints run meanwhile
            await checkpoints.stop()
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one()
        assert stored == AUTOCHECKPOINT_PAGES + 30 * 40
    finally:
        await engine.dispose()

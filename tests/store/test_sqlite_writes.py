"""SQLite specifics of bot.store.db: statements in one trip to the driver's thread, writers
queued in the event loop. What the store relies on must behave as with the plain driver."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from bot.store.db import create_engine


async def test_rows_rowcount_returning_and_executemany(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
            await conn.execute(text("INSERT INTO t (v) VALUES (:v)"), [{"v": "a"}, {"v": "b"}])
            new = await conn.execute(text("INSERT INTO t (v) VALUES ('c') RETURNING id"))
            assert new.scalar_one() == 3
            updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id < 3"))
            assert updated.rowcount == 2
        async with engine.connect() as conn:
            rows = (await conn.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
        assert [tuple(r) for r in rows] == [(1, "a!"), (2, "b!"), (3, "c")]
    finally:
        await engine.dispose()


async def test_rollback_undoes_and_errors_surface(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (v TEXT UNIQUE)"))
            await conn.execute(text("INSERT INTO t VALUES ('kept')"))
        async with engine.connect() as conn:
            await conn.execute(text("INSERT INTO t VALUES ('undone')"))
            await conn.rollback()
            try:
                await conn.execute(text("INSERT INTO t VALUES ('kept')"))
            except IntegrityError:
                await conn.rollback()
            else:
                raise AssertionError("a duplicate must be refused")
            # A read-only connection going back to the pool leaves nothing behind.
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
        async with engine.connect() as conn:
            values = (await conn.execute(text("SELECT v FROM t"))).scalars().all()
        assert values == ["kept"]
    finally:
        await engine.dispose()


async def test_writers_that_hold_their_transaction_open_take_turns(tmp_path: Path) -> None:
    """Forty writers each keep a transaction open across awaits; all of them commit."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))

        async def writer(n: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:n)"), {"n": n})
                await asyncio.sleep(0.001)  # other customers run meanwhile
                await conn.execute(text("UPDATE t SET n = n + 1000 WHERE n = :n"), {"n": n})

        await asyncio.gather(*(writer(n) for n in range(40)))
        async with engine.connect() as conn:
            stored = (await conn.execute(text("SELECT n FROM t ORDER BY n"))).scalars().all()
        assert stored == [n + 1000 for n in range(40)]
    finally:
        await engine.dispose()

"""SQLite specifics of bot.store.db: statements in one trip to the driver's thread, writers
queued in the event loop. What the store relies on must behave as with the plain driver."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

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


async def test_one_trip_commits_take_turns_with_other_writers(tmp_path: Path) -> None:
    """Turns written in one trip (with what their session flushed before) and ordinary
    transactions held open across awaits, concurrently: every row of every writer is kept,
    and a refused one-trip commit keeps nothing of its transaction and blocks no one."""
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.store.db import commit_in_one_trip, commits_in_one_trip, session_factory

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/t.db")
    sessions = session_factory(engine)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (v TEXT UNIQUE)"))

        async def one_trip(n: int, value: str) -> None:
            session: AsyncSession
            async with sessions() as session:
                assert commits_in_one_trip(session)
                # Written through the session first: part of the same transaction.
                await session.execute(text("INSERT INTO t VALUES (:v)"), {"v": f"before-{n}"})
                await asyncio.sleep(0.001)

                def work(db: Any) -> int:
                    cursor = db.cursor()
                    cursor.execute("INSERT INTO t VALUES (?)", (value,))
                    return int(cursor.lastrowid)

                assert await commit_in_one_trip(session, work) > 0
                await session.commit()

        async def ordinary(n: int) -> None:
            async with engine.begin() as conn:
                await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": f"plain-{n}"})
                await asyncio.sleep(0.001)

        await asyncio.gather(
            *(one_trip(n, f"trip-{n}") for n in range(20)), *(ordinary(n) for n in range(20))
        )
        try:
            await one_trip(99, "trip-3")  # a duplicate: refused as any statement would be
        except IntegrityError:
            pass
        else:
            raise AssertionError("a duplicate must be refused")
        await ordinary(99)  # the writer's turn was given back
        async with engine.connect() as conn:
            stored = set((await conn.execute(text("SELECT v FROM t"))).scalars().all())
        expected = {f"{kind}-{n}" for kind in ("before", "trip", "plain") for n in range(20)}
        assert stored == expected | {"plain-99"}
    finally:
        await engine.dispose()

"""Engine, sessions and migrations for the context store (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import functools
import logging
import sqlite3
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.pool import NullPool

from bot import jsonenc

log = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _ensure_sqlite_dir(url: str) -> None:
    if url.startswith("sqlite") and ":///" in url and not url.endswith(":///:memory:"):
        Path(url.split(":///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)


def sqlite_file(url: str) -> str | None:
    """The database file of a SQLite URL (None: another database, or one in memory)."""
    if not url.startswith("sqlite") or ":///" not in url or url.endswith(":///:memory:"):
        return None
    return url.split(":///", 1)[1].split("?", 1)[0]


def _json_text(value: Any) -> str:
    return jsonenc.dumps(value).decode()


# JSON columns (message payloads, dialogue slots) read and written by orjson: the standard
# library's decoder was ~4 % of the event loop's time reading a turn's context.
_JSON_CODEC: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": jsonenc.loads}


def create_engine(url: str, *, background_checkpoints: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and enforced foreign keys.

    `background_checkpoints`: its connections never checkpoint the WAL themselves; the
    caller runs `WalCheckpoints` for the database (the server does)."""
    _ensure_sqlite_dir(url)
    if url.startswith("sqlite"):
        # Kept open: a connection beyond the pool is closed when given back, and the next
        # one is a new thread, a connect and the pragmas (at 50 customers in flight about
        # 24 sessions are open at once; 8 kept had meant ~100 new connections a minute).
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            pool_size=24,
            max_overflow=8,
            pool_timeout=60,
            **_JSON_CODEC,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            if type(dbapi_conn) is AsyncAdapt_aiosqlite_connection:
                dbapi_conn.__class__ = _OneTripConnection
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            if background_checkpoints:
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.close()

        queue_sqlite_writers(engine)
        return engine
    return create_async_engine(
        url, pool_size=10, max_overflow=20, pool_pre_ping=True, **_JSON_CODEC
    )


class _OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A statement in one trip to aiosqlite's thread instead of four.

    SQLAlchemy's aiosqlite adapter opens a cursor, executes, fetches and closes it, each a
    round trip between the event loop and the connection's thread (queue, wake-up, result
    back through the loop). With ~20 statements per customer message those trips were a
    third of the CPU a message costs. Here the four steps run as one function in the
    thread. Results are fetched whole, as the adapter's default (non-streaming) cursor
    does anyway.
    """

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount", "_writer")
    _awaitable_cursor_close = False

    def __init__(self, adapt_connection: Any) -> None:
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: Any = None
        self._arraysize = 1
        # Set for a write statement of a connection without the writer's turn (see
        # `queue_sqlite_writers`): the trip takes it first, in the connection's thread.
        self._writer: tuple[_WriterTurn, dict[Any, Any], int] | None = None
        super().__init__(adapt_connection)

    def _make_new_cursor(self, connection: Any) -> Any:
        return None

    def _aenter_cursor(self, cursor: Any) -> Any:
        return None

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _trip(self, operation: Any, parameters: Any, many: bool) -> None:
        aio = self._connection
        writer, self._writer = self._writer, None

        def run() -> tuple[Any, int, Any, list[Any] | None]:
            if writer is not None:
                writer[0].take(writer[1], writer[2])
            cursor = aio._conn.cursor()
            try:
                if many:
                    cursor.executemany(operation, parameters)
                elif parameters is None:
                    cursor.execute(operation)
                else:
                    cursor.execute(operation, parameters)
                rows = cursor.fetchall() if cursor.description else None
                return cursor.description, cursor.rowcount, cursor.lastrowid, rows
            finally:
                cursor.close()
                aio.omnibot_in_transaction = aio._conn.in_transaction

        async with self._adapt_connection._execute_mutex:
            found = await aio._execute(run)
        self._description, self._rowcount, self._lastrowid, rows = found
        if rows is not None:
            self._rows = collections.deque(rows)

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._trip(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Any) -> None:
        await self._trip(operation, seq_of_parameters, many=True)


class _OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """Also skips the trip for a commit or rollback when no transaction is open (a session
    that only read, a connection going back to the pool)."""

    __slots__ = ()
    _cursor_cls = _OneTripCursor

    def _in_transaction(self) -> bool:
        return bool(getattr(self._connection, "omnibot_in_transaction", True))

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()
            self._connection.omnibot_in_transaction = False

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()
            self._connection.omnibot_in_transaction = False


WRITER_WAIT_S = 30.0
_READS = ("SELECT", "WITH", "PRAGMA", "EXPLAIN")
_WRITER_TURNS: weakref.WeakKeyDictionary[Any, _WriterTurn] = weakref.WeakKeyDictionary()


class _WriterTurn:
    """The turn of one SQLite database's writers, taken and given back in the connections'
    own threads.

    A connection's writer statement waits for the turn in its aiosqlite thread (blocking
    that thread only, never the event loop) and the next waiting thread is woken the moment
    the turn is given back. A turn written in one trip (`commit_in_one_trip`) takes the turn,
    runs its statements, commits and gives it back without ever passing through the event
    loop: the turn lasts as long as SQLite's own work. (Taken and given back through the
    event loop, each hand-over waited for the busy loop's next pass, ~4 ms a turn under 50
    customers, which capped the server at ~230 messages/s with a core to spare.)

    A connection's `info` holds the turn while it is held (`writer_lock`) and a ticket
    that every give-back advances: a trip still queued when its connection was given back
    (its caller cancelled) finds the ticket moved on and does not keep the turn.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._mutex = threading.Lock()  # orders takes and give-backs of one connection

    @staticmethod
    def ticket(info: dict[Any, Any]) -> int:
        return int(info.get("writer_ticket", 0))

    def take(self, info: dict[Any, Any], ticket: int) -> bool:
        """In the connection's thread: wait for the turn (unless it holds it). Whether the
        connection holds it now (False: given back since `ticket` was read)."""
        if "writer_lock" in info:
            return True
        if not self._lock.acquire(timeout=WRITER_WAIT_S):
            log.error("waited %.0f s for SQLite's writer turn", WRITER_WAIT_S)
            raise TimeoutError("SQLite's writer turn")
        with self._mutex:
            if self.ticket(info) == ticket:
                info["writer_lock"] = self._lock
                return True
        self._lock.release()
        return False

    def give_back(self, info: dict[Any, Any]) -> None:
        """From any thread: the connection's transaction is over (or the connection is)."""
        with self._mutex:
            info["writer_ticket"] = self.ticket(info) + 1
            lock = info.pop("writer_lock", None)
        if lock is not None:
            lock.release()


def queue_sqlite_writers(engine: AsyncEngine) -> None:
    """Writers of one SQLite database take turns, first come first served (`_WriterTurn`).

    SQLite has one writer at a time; a connection that finds the database locked sleeps in
    SQLite's busy handler (1, 2, 5 … up to 100 ms between tries), which under many
    concurrent customers made for seconds of latency with an idle CPU. Instead, the first
    write statement of a transaction waits for the turn in its connection's thread (woken
    the moment the previous writer is done), and the turn ends when the connection goes back
    to the pool, i.e. after its commit or rollback (or, for `commit_in_one_trip`, as soon as
    its commit is done). Reads never wait (WAL).
    """
    turn = _WRITER_TURNS[engine.sync_engine] = _WriterTurn()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _wait_for_turn(conn: Connection, cursor: Any, statement: str, *_: Any) -> None:
        if "writer_lock" in conn.info or statement.lstrip()[:7].upper().startswith(_READS):
            return
        if isinstance(cursor, _OneTripCursor):
            cursor._writer = (turn, conn.info, turn.ticket(conn.info))

    def _end_turn(_dbapi_conn: Any, record: Any, *_: Any) -> None:
        if record is not None:
            turn.give_back(record.info)

    for name in ("checkin", "invalidate", "close"):
        event.listen(engine.sync_engine.pool, name, _end_turn)


async def commit_in_one_trip(session: AsyncSession, work: Callable[[sqlite3.Connection], T]) -> T:
    """SQLite: run `work` (plain `sqlite3` calls on the session's connection) and the commit
    in ONE trip to the connection's thread, as the database's writer.

    The writer's turn is the database's bottleneck: while one transaction holds it, every
    other customer's commit waits. Statement by statement, each trip to the connection's
    thread also waited for the busy event loop to resume the coroutine, so a turn's four or
    five writes held the writer for about ten milliseconds (about 100 messages/s in all);
    in one trip, with the turn taken and given back in the connection's thread, it is held
    for the statements' own time. Whatever the session has flushed before is in the same
    transaction and commits with it. sqlite3's IntegrityError comes out as SQLAlchemy's, as
    from any other statement. Raises `NotSqlite` elsewhere (the caller writes through the
    session).
    """
    conn = await session.connection()
    sync_conn = conn.sync_connection
    assert sync_conn is not None
    turn = _WRITER_TURNS.get(sync_conn.engine)
    raw = await conn.get_raw_connection()
    adapted = raw.dbapi_connection
    if turn is None or not isinstance(adapted, _OneTripConnection):
        raise NotSqlite
    aio = adapted._connection
    info = sync_conn.info
    ticket = turn.ticket(info)

    def run() -> T:
        db = aio._conn
        held = turn.take(info, ticket)
        try:
            result = work(db)
            db.commit()
            return result
        except BaseException:
            db.rollback()
            raise
        finally:
            aio.omnibot_in_transaction = db.in_transaction
            if held:  # the next writer's turn starts now, in its own thread
                turn.give_back(info)

    try:
        async with adapted._execute_mutex:
            return await aio._execute(run)
    except sqlite3.IntegrityError as exc:
        raise IntegrityError("one-trip commit", None, exc) from exc


CHECKPOINT_EVERY_S = 1.0


class WalCheckpoints:
    """SQLite's WAL checkpoints in the background, never inside a customer's commit.

    By default the commit that takes SQLite's write-ahead log past 1,000 pages copies it back
    into the database and syncs it, with the writer's turn held: every other customer's
    commit waited for it, a stall of ~400 ms once every few hundred messages (the slowest
    replies of a web chat load run at 100 messages/s, p99 260-430 ms against 33-65 ms
    without it). Here the server's connections never checkpoint (`wal_autocheckpoint=0`)
    and this does, every `every_s`, on a connection of its own in a worker thread. A
    PASSIVE checkpoint waits for no one: writers go on appending meanwhile, and the log
    starts again from its beginning once it has been copied whole."""

    def __init__(self, path: str, every_s: float = CHECKPOINT_EVERY_S) -> None:
        self.path = path
        self.every_s = every_s
        self._db: sqlite3.Connection | None = None
        # One checkpoint at a time on the connection, and never while it is being closed.
        self._using = threading.Lock()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint (blocking): (busy, frames in the log, frames copied)."""
        with self._using:
            if self._db is None:
                self._db = sqlite3.connect(self.path, timeout=5, check_same_thread=False)
            row = self._db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        busy, frames, copied = row
        return int(busy), int(frames), int(copied)

    def _close(self) -> None:
        with self._using:
            if self._db is not None:
                self._db.close()
                self._db = None

    def start(self) -> None:
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name="sqlite-checkpoints")

    async def _run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every_s)
                return
            try:
                # Awaited to its end: a checkpoint is never left running on its own.
                await asyncio.to_thread(self.checkpoint)
            except sqlite3.Error:
                log.warning("SQLite checkpoint failed; trying again", exc_info=True)

    async def stop(self) -> None:
        """Stop, after a last checkpoint (the next start finds a short log)."""
        self._stopping.set()
        if self._task is not None:  # never started: nothing to copy back
            await self._task
            self._task = None
            with contextlib.suppress(sqlite3.Error):
                await asyncio.to_thread(self.checkpoint)
        await asyncio.to_thread(self._close)


class NotSqlite(Exception):
    """`commit_in_one_trip` on a database other than SQLite."""


def commits_in_one_trip(session: AsyncSession) -> bool:
    """Whether `commit_in_one_trip` works for this session (SQLite through aiosqlite)."""
    bind = session.bind
    return (
        bind is not None
        and bind.dialect.name == "sqlite"
        and bind.dialect.driver == "aiosqlite"
        and bind.sync_engine in _WRITER_TURNS
    )


def create_migration_engine(url: str) -> AsyncEngine:
    _ensure_sqlite_dir(url)
    engine = create_async_engine(url, poolclass=NullPool)
    if url.startswith("sqlite"):

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_journal(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # The server's journal (WAL, synced at checkpoints) from the first migration
            # on: in SQLite's default rollback journal the migrations' commit waited for
            # syncs to disk (0.25-0.45 s of a first start on an ext4 disk; now ~0.1 s).
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    return engine


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


# Any fixed 64-bit number, the same in every instance: "Omnibot migrations" in PostgreSQL's
# advisory lock space.
MIGRATION_LOCK_KEY = 0x0B0_7A1E_1B1C


async def upgrade_database(url: str) -> None:
    """Apply every Alembic migration (run on start and by `omnibot db upgrade`).

    On PostgreSQL, instances starting together take turns under an advisory lock held
    until the migrations commit: the first one migrates, the others wait and then find
    nothing left to do (without it, they raced to create the same tables).
    """
    engine = create_migration_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            await conn.run_sync(_upgrade)
    finally:
        await engine.dispose()


@functools.cache
def code_head() -> str | None:
    """The newest migration this code knows, read from the scripts once: reading them took
    most of a readiness probe's 11 ms of CPU, and anyone may call /readyz."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _current_revision(connection: Connection) -> tuple[str | None, str | None]:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision(), code_head()


async def migrations_done(engine: AsyncEngine) -> bool:
    """Whether the database is at the newest migration this code knows."""
    async with engine.connect() as conn:
        current, head = await conn.run_sync(_current_revision)
    return current == head

"""`omnibot` with every trip to the database counted: a benchmark's debug mode.

    OMNIBOT_BENCH_COUNTS=/tmp/counts.json python benchmarks/counted_server.py run --port 8766

On SQLite the counts come from below SQLAlchemy, since a turn's writes may go to the
connection's thread in one piece: SQLite's own trace of the statements it runs (BEGIN and
COMMIT counted apart) and the trips to aiosqlite's thread. On PostgreSQL they come from
SQLAlchemy's events: statements, transactions begun and commits, each a round trip to the
server with asyncpg. On SIGUSR1 the totals so far are written, as JSON, to the file named
by OMNIBOT_BENCH_COUNTS; a benchmark reads them before and after its load.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import aiosqlite.core
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.util import await_only

ROOT = Path(__file__).resolve().parents[1]
COUNTS = {"statements": 0, "transactions": 0, "commits": 0, "trips": 0}
# SQLite's trace runs on the connections' threads; re-entrant for the signal handler,
# which runs on the main thread, maybe while that thread is counting.
_LOCK = threading.RLock()


def _add(kind: str) -> None:
    with _LOCK:
        COUNTS[kind] += 1


def _sqlite_traced(statement: str) -> None:
    word = statement.lstrip()[:8].upper()
    if word.startswith("COMMIT"):
        _add("commits")
    elif word.startswith("BEGIN"):
        _add("transactions")
    elif not word.startswith(("ROLLBACK", "PRAGMA")):
        _add("statements")


def _not_sqlite(listener: Any) -> Any:
    def counted(conn: Connection, *_args: Any, **_kwargs: Any) -> None:
        if conn.dialect.name != "sqlite":
            listener()

    return counted


def install() -> None:
    """Count on every engine this process creates (an async engine's sync side included)."""
    event.listen(Engine, "before_cursor_execute", _not_sqlite(lambda: _add("statements")))
    event.listen(Engine, "begin", _not_sqlite(lambda: _add("transactions")))
    event.listen(Engine, "commit", _not_sqlite(lambda: _add("commits")))

    @event.listens_for(Engine, "connect")
    def _trace_sqlite(dbapi_connection: Any, _record: Any) -> None:
        aio = getattr(dbapi_connection, "_connection", None)
        if isinstance(aio, aiosqlite.core.Connection):
            await_only(aio.set_trace_callback(_sqlite_traced))

    execute = aiosqlite.core.Connection._execute

    async def counted_trip(self: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
        _add("trips")
        return await execute(self, fn, *args, **kwargs)

    aiosqlite.core.Connection._execute = counted_trip  # type: ignore[method-assign]

    target = os.environ.get("OMNIBOT_BENCH_COUNTS")
    if target:

        def dump(_signum: int, _frame: Any) -> None:
            path = Path(target)
            partial = path.with_suffix(".part")
            with _LOCK:
                partial.write_text(json.dumps(COUNTS))
            partial.replace(path)

        signal.signal(signal.SIGUSR1, dump)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    install()
    from bot.cli import main

    sys.argv = ["omnibot", *sys.argv[1:]]
    main()

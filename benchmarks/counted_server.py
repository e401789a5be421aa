"""`omnibot` with every trip to the database counted: a benchmark's debug mode.

    OMNIBOT_BENCH_COUNTS=/tmp/counts.json python benchmarks/counted_server.py run --port 8766

SQLAlchemy's events count the statements executed (each a round trip to SQLite's thread or
to PostgreSQL), the transactions begun (on PostgreSQL a BEGIN is a round trip too) and the
commits (a round trip when the transaction wrote). On SIGUSR1 the totals so far are
written, as JSON, to the file named by OMNIBOT_BENCH_COUNTS; a benchmark reads them
before and after its load.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
COUNTS = {"statements": 0, "transactions": 0, "commits": 0}


def _count(kind: str) -> Any:
    def listener(*_args: Any, **_kwargs: Any) -> None:
        COUNTS[kind] += 1

    return listener


def install() -> None:
    """Count on every engine this process creates (an async engine's sync side included)."""
    event.listen(Engine, "before_cursor_execute", _count("statements"))
    event.listen(Engine, "begin", _count("transactions"))
    event.listen(Engine, "commit", _count("commits"))
    target = os.environ.get("OMNIBOT_BENCH_COUNTS")
    if target:

        def dump(_signum: int, _frame: Any) -> None:
            path = Path(target)
            partial = path.with_suffix(".part")
            partial.write_text(json.dumps(COUNTS))
            partial.replace(path)

        signal.signal(signal.SIGUSR1, dump)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    install()
    from bot.cli import main

    sys.argv = ["omnibot", *sys.argv[1:]]
    main()

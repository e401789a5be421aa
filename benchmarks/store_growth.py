"""Store growth: the cost of one message with 1 thousand and with 1 million stored messages.

Builds the real pipeline in-process (`bot.app.build_runtime`, keyword NLU, no HTTP), then

1. fills the store up to `--small` messages (default 1,000) and measures `--sample`
   messages one after another on both inbound paths:
   - web chat: `Core.receive` (stored, answered, the replies in the response);
   - webhook: `Core.accept` (stored, acknowledged) then `Core.answer_pending` (answered,
     the replies delivered through the outbox to a channel that takes them at once);
2. grows the store to `--large` messages (default 1,000,000: customers with an identity, a
   conversation, a dialogue state and a history of in/out pairs with their intent events,
   bulk-inserted with SQLAlchemy Core) and measures the same again.

Per path and store size it prints the wall-clock latency (p50, p95, mean), the process CPU
per message (the event loop and SQLite's thread; PostgreSQL's own CPU is not in it), and
the SQL statements and commits per message (on SQLite from its own trace, since a turn's
writes reach its thread in one piece; on PostgreSQL from engine events). The messages go to
customers of the generated store, each with the same history length in both phases, so
only the size of the store differs.

    python benchmarks/store_growth.py                    # SQLite in a temp dir
    python benchmarks/store_growth.py --db postgresql    # a fresh PostgreSQL database
    python benchmarks/store_growth.py --explain          # also print the hot queries' plans

Sequential on purpose: this measures what one message costs, not throughput under load
(that is `webchat_load.py`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from sqlalchemy import event, func, insert, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine  # noqa: E402
from sqlalchemy.util import await_only  # noqa: E402

from bot.app import Runtime, build_runtime, start_runtime, stop_runtime  # noqa: E402
from bot.messages import Capabilities, InboundMessage, OutboundMessage  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.store.models import (  # noqa: E402
    ChannelIdentity,
    Conversation,
    Customer,
    DialogueState,
    Event,
    Message,
)

# What the sample customers write, in turn (keyword NLU: greetings, menu, FAQ, cart).
TEXTS = [
    "cześć",
    "menu",
    "godziny otwarcia?",
    "poproszę dużą margheritę",
    "koszyk",
    "do you deliver to Mokotów?",
    "how long do I wait",
    "płatność blikiem?",
]
HISTORY_PAIRS = 10  # every generated customer: 10 messages in, 10 replies, 10 events
CHUNK = 20_000


class Sink:
    """A channel that takes every reply at once (the webhook path's outbox delivers here)."""

    name = "bench"
    capabilities = Capabilities(buttons=True)

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, message: OutboundMessage) -> str | None:
        self.sent += 1
        return f"bench-{message.id}"


class Counter:
    """SQL statements and commits on an engine. On SQLite, what SQLite itself runs (its trace
    of each connection: a turn's writes reach its thread in one piece, below SQLAlchemy's
    events); elsewhere from SQLAlchemy's events, each a round trip to the server."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = 0
        self.commits = 0
        self.on = False
        self.trace: list[str] | None = None
        sync = engine.sync_engine
        if sync.dialect.name == "sqlite":
            # Connections opened before this are dropped, so that every one is traced.
            sync.pool.dispose()

            @event.listens_for(sync, "connect")
            def _traced(dbapi_connection: Any, _record: Any) -> None:
                await_only(dbapi_connection._connection.set_trace_callback(self._sqlite))

            return

        @event.listens_for(sync, "before_cursor_execute")
        def _statement(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            self._count(statement)

        @event.listens_for(sync, "commit")
        def _commit(*_: Any) -> None:
            self._count("COMMIT")

    def _sqlite(self, statement: str) -> None:
        if not statement.lstrip()[:8].upper().startswith(("BEGIN", "ROLLBACK", "PRAGMA")):
            self._count(statement)

    def _count(self, statement: str) -> None:
        if not self.on:
            return
        if statement.lstrip()[:6].upper() == "COMMIT":
            self.commits += 1
            if self.trace is not None:
                self.trace.append("COMMIT")
            return
        self.statements += 1
        if self.trace is not None:
            self.trace.append(" ".join(statement.split())[:160])


class Generator:
    """Bulk rows with explicit ids: customers, identities, conversations, states, history."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.customers = 0
        self.messages = 0
        self.events = 0
        self.start = datetime.now(UTC) - timedelta(days=365)

    async def grow_to(self, total_messages: int) -> float:
        """Add customers (each with a full history) until the store holds `total_messages`."""
        started = time.perf_counter()
        per_customer = 2 * HISTORY_PAIRS
        # The pipeline measured meanwhile stored rows too: new ids go after theirs.
        async with self.engine.connect() as conn:
            self.messages = int(await conn.scalar(select(func.max(Message.id))) or 0)
            self.events = int(await conn.scalar(select(func.max(Event.id))) or 0)
            stored = int(await conn.scalar(select(func.count()).select_from(Message)) or 0)
        while stored + per_customer <= total_messages:
            batch = min(CHUNK // per_customer, (total_messages - stored) // per_customer)
            await self._add_customers(batch)
            stored += batch * per_customer
        await self._fix_sequences()
        return time.perf_counter() - started

    async def _add_customers(self, count: int) -> None:
        first = self.customers + 1
        ids = range(first, first + count)
        when = [self.start + timedelta(seconds=i) for i in ids]
        customers = [
            {"id": i, "language": "pl", "last_channel": "webchat", "sms_opt_out": False,
             "created_at": w, "seen_at": w}
            for i, w in zip(ids, when, strict=True)
        ]  # fmt: skip
        # Each customer writes on the web chat and on the benchmark's webhook channel.
        identities = [
            {"id": 2 * i - k, "channel": channel, "address": f"gen-{i}", "customer_id": i,
             "verified_by": "channel", "unreachable": False, "created_at": w, "last_seen_at": w}
            for i, w in zip(ids, when, strict=True)
            for k, channel in ((1, "webchat"), (0, "bench"))
        ]  # fmt: skip
        conversations = [
            {"id": i, "customer_id": i, "status": "bot", "created_at": w, "updated_at": w}
            for i, w in zip(ids, when, strict=True)
        ]
        states = [
            {"customer_id": i, "slots": {}, "fallback_count": 0, "updated_at": w}
            for i, w in zip(ids, when, strict=True)
        ]
        messages: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for i, w in zip(ids, when, strict=True):
            for n in range(HISTORY_PAIRS):
                at = w + timedelta(minutes=n)
                self.messages += 2
                inbound = self.messages - 1
                messages.append(
                    {"id": inbound, "customer_id": i, "conversation_id": i, "direction": "in",
                     "author": "customer", "channel": "webchat", "address": f"gen-{i}",
                     "text": TEXTS[n % len(TEXTS)], "payload": {"client_message_id": str(n)},
                     "provider_id": f"gen-{i}:{n}", "in_reply_to_id": None, "private": False,
                     "delivery_status": "processed", "attempts": 0, "created_at": at}
                )  # fmt: skip
                messages.append(
                    {"id": inbound + 1, "customer_id": i, "conversation_id": i,
                     "direction": "out", "author": "bot", "channel": "webchat",
                     "address": f"gen-{i}", "text": "Odpowiedź bota " * 4,
                     "payload": {"buttons": [{"title": "Menu", "payload": "/browse_menu"}]},
                     "provider_id": None, "in_reply_to_id": inbound, "private": False,
                     "delivery_status": "sent", "attempts": 0, "created_at": at}
                )  # fmt: skip
                self.events += 1
                events.append(
                    {"id": self.events, "customer_id": i, "kind": "intent", "channel": "webchat",
                     "data": {"intent": "greet", "confidence": 0.9, "understood": True},
                     "created_at": at}
                )  # fmt: skip
        async with self.engine.begin() as conn:
            for table, rows in (
                (Customer, customers),
                (ChannelIdentity, identities),
                (Conversation, conversations),
                (DialogueState, states),
                (Message, messages),
                (Event, events),
            ):
                await conn.execute(insert(table), rows)
        self.customers += count

    async def _fix_sequences(self) -> None:
        """PostgreSQL: sequences past the explicit ids; the bulk load vacuumed and analysed
        (as autovacuum would, soon after: not during the measurement)."""
        if self.engine.dialect.name != "postgresql":
            return
        async with self.engine.begin() as conn:
            for table in ("customers", "channel_identities", "conversations", "messages", "events"):
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
        async with self.engine.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text("VACUUM ANALYZE"))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class Figures:
    """What the messages of one path cost on one store, over every round."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.cpu = 0.0
        self.statements = 0
        self.commits = 0

    def row(self) -> dict[str, float]:
        n = len(self.latencies)
        return {
            "p50_ms": percentile(self.latencies, 0.50) * 1000,
            "p95_ms": percentile(self.latencies, 0.95) * 1000,
            "mean_ms": statistics.fmean(self.latencies) * 1000,
            "cpu_ms": self.cpu / n * 1000,
            "statements": self.statements / n,
            "commits": self.commits / n,
        }


class Store:
    """One runtime on its own store, grown to a size and then measured."""

    def __init__(self, label: str, runtime: Runtime, drop: Callable[[], Any] | None) -> None:
        self.label = label
        self.runtime = runtime
        self.drop = drop
        self.engine: AsyncEngine = runtime.core.sessions.kw["bind"]
        self.counter = Counter(self.engine)
        self.generator = Generator(self.engine)
        self.figures = {path: Figures() for path in PATHS}
        self.stored = 0
        self.sent = 0


PATHS = ("webchat", "webhook")


async def measure(store: Store, path: str, count: int, pool: int, keep: bool = True) -> None:
    """`count` messages one at a time, to the first `pool` customers (the same customers,
    with the same history, in every store: only the size of the store differs)."""
    core, counter, figures = store.runtime.core, store.counter, store.figures[path]
    for _ in range(count):
        store.sent += 1
        n = store.sent
        who = n % pool + 1
        text_ = TEXTS[n % len(TEXTS)]
        if path == "webchat":
            inbound = InboundMessage(
                channel="webchat", address=f"gen-{who}", text=text_,
                provider_id=f"gen-{who}:m{n}",
                meta={"client_message_id": f"m{n}", "client_address": "127.0.0.1"},
            )  # fmt: skip
        else:
            inbound = InboundMessage(
                channel="bench", address=f"gen-{who}", text=text_, provider_id=f"m{n}"
            )
        counter.statements = counter.commits = 0
        counter.on = True
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        if path == "webchat":
            receipt = await core.receive(inbound)
            assert receipt.replies, "no reply"
        else:
            accepted = await core.accept(inbound)
            await core.answer_pending(accepted.customer_id)
        wall = time.perf_counter() - wall_before
        cpu = time.process_time() - cpu_before
        counter.on = False
        if keep:
            figures.latencies.append(wall)
            figures.cpu += cpu
            figures.statements += counter.statements
            figures.commits += counter.commits


HOT_QUERIES: list[tuple[str, Callable[[int], Any]]] = [
    (
        "identity by (channel, address)",
        lambda c: select(ChannelIdentity.id).where(
            ChannelIdentity.channel == "webchat", ChannelIdentity.address == f"gen-{c}"
        ),
    ),
    (
        "dedup by (channel, provider_id)",
        lambda c: select(Message.id).where(
            Message.channel == "webchat", Message.provider_id == f"gen-{c}:1"
        ),
    ),
    (
        "a customer's unanswered messages",
        lambda c: (
            select(Message.id)
            .where(
                Message.customer_id == c,
                Message.direction == "in",
                Message.delivery_status == "received",
            )
            .order_by(Message.id)
        ),
    ),
    (
        "replies to a message",
        lambda c: select(Message.id).where(Message.in_reply_to_id == 2 * c).order_by(Message.id),
    ),
    (
        "timeline page",
        lambda c: (
            select(Message.id)
            .where(Message.customer_id == c, Message.id > 0, Message.private.is_(False))
            .order_by(Message.id)
            .limit(500)
        ),
    ),
    (
        "outbox due",
        lambda c: (
            select(Message.id)
            .where(Message.delivery_status == "pending")
            .order_by(Message.id)
            .limit(100)
        ),
    ),
    (
        "customers with unanswered messages",
        lambda c: (
            select(Message.customer_id)
            .where(Message.direction == "in", Message.delivery_status == "received")
            .distinct()
        ),
    ),
    (
        "a customer's recent events",
        lambda c: (
            select(Event.id)
            .where(Event.customer_id == c, Event.kind == "intent")
            .order_by(Event.id.desc())
            .limit(5)
        ),
    ),
]


async def explain(engine: AsyncEngine, customer: int) -> None:
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    async with engine.connect() as conn:
        for label, build in HOT_QUERIES:
            compiled = build(customer).compile(engine, compile_kwargs={"literal_binds": True})
            rows = (await conn.execute(text(prefix + str(compiled)))).all()
            plan = "; ".join(str(r[-1]) for r in rows)
            print(f"  {label}: {plan}")


async def count_messages(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(select(func.count()).select_from(Message))).scalar() or 0)


async def create_pg_database(admin_dsn: str) -> tuple[str, Callable[[], Any]]:
    import asyncpg

    admin = await asyncpg.connect(admin_dsn, timeout=5)
    name = f"omnibot_growth_{uuid.uuid4().hex[:10]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")

    async def drop() -> None:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()

    return f"{base}/{name}", drop


def print_row(label: str, stored: int, path: str, r: dict[str, float]) -> None:
    print(
        f"| {label} | {stored:,} | {path} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
        f"{r['mean_ms']:.1f} | {r['cpu_ms']:.1f} | {r['statements']:.1f} | {r['commits']:.1f} |"
    )


async def open_store(label: str, args: argparse.Namespace) -> Store:
    data_dir = Path(tempfile.mkdtemp(prefix=f"omnibot-growth-{label}-"))
    drop = None
    url = None
    if args.db == "postgresql":
        url, drop = await create_pg_database(args.pg_dsn)
    settings = Settings(
        omnibot_data_dir=data_dir,
        database_url=url,
        nlu_backend="keywords",
        secret_key="store-growth-benchmark-key-not-for-production",
        messages_per_minute=10**9,
        nlu_parse_per_minute=10**9,
    )  # type: ignore[call-arg]
    runtime = build_runtime(settings)
    runtime.core.register_channel(Sink())
    await start_runtime(runtime)
    return Store(label, runtime, drop)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-dsn",
        default=os.environ.get("OMNIBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
    )
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=8, help="rounds, alternating the stores")
    parser.add_argument("--per-round", type=int, default=50, help="messages per path and round")
    parser.add_argument("--pool", type=int, default=40, help="customers the messages go to")
    parser.add_argument("--explain", action="store_true", help="print the hot queries' plans")
    parser.add_argument("--trace", action="store_true", help="print one message's statements")
    args = parser.parse_args()

    stores = [await open_store("small", args), await open_store("large", args)]
    try:
        for store, size in zip(stores, (args.small, args.large), strict=True):
            took = await store.generator.grow_to(size)
            store.stored = await count_messages(store.engine)
            print(f"# {store.label} store: {store.stored:,} messages, generated in {took:.1f} s")
            if args.explain:
                await explain(store.engine, args.pool // 2 + 1)
            for path in PATHS:
                await measure(store, path, 20, args.pool, keep=False)  # warm-up
                if args.trace:
                    store.counter.trace = []
                    await measure(store, path, 1, args.pool, keep=False)
                    print(f"  one {path} message:", *store.counter.trace, sep="\n    ")
                    store.counter.trace = None
            sys.stdout.flush()
        # Rounds alternate between the stores, so that the machine's other load falls on
        # both alike.
        for n in range(args.rounds):
            for store in stores if n % 2 == 0 else stores[::-1]:
                for path in PATHS:
                    await measure(store, path, args.per_round, args.pool)
            print(f"# round {n + 1} of {args.rounds} done", flush=True)
    finally:
        for store in stores:
            await stop_runtime(store.runtime)
            if store.drop is not None:
                await store.drop()
            shutil.rmtree(store.runtime.settings.data_dir, ignore_errors=True)
    sample = args.rounds * args.per_round
    print()
    print(f"store: {args.db}; {sample} messages per row, one at a time; keyword NLU")
    columns = ["store", "messages stored", "path", "p50 ms", "p95 ms", "mean ms"]
    columns += ["CPU ms/msg", "statements/msg", "commits/msg"]
    print("| " + " | ".join(columns) + " |")
    print("|" + " --- |" * len(columns))
    for path in PATHS:
        for store in stores:
            print_row(store.label, store.stored, path, store.figures[path].row())
    for path in PATHS:
        small, large = (store.figures[path].row() for store in stores)
        print(
            f"{path}: large/small  p50 {large['p50_ms'] / small['p50_ms']:.2f}x  "
            f"mean {large['mean_ms'] / small['mean_ms']:.2f}x  "
            f"CPU {large['cpu_ms'] / small['cpu_ms']:.2f}x"
        )
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; {os.cpu_count()} cores")


if __name__ == "__main__":
    asyncio.run(main())

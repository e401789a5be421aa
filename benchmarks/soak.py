"""Soak: web chat, Telegram and SMS customers against a server that is killed -9 mid-load.

Starts the local fake Telegram Bot API and fake Twilio (the ones the tests use), a server
(`python -m bot run`) on SQLite or a fresh PostgreSQL database, and customers on every
channel. Customers behave like the providers: anything not acknowledged with a 2xx is sent
again (same update id, MessageSid or client_message_id) until it is. With --kill-every N
the server is killed with SIGKILL every N seconds and restarted on the same store.

When the load is over and the outbox has settled, it prints per channel:
  sent        distinct messages the customers sent (retries not counted)
  stored      of those, stored; `twice` = stored more than once (must be 0)
  answered    of those, processed by the bot
  delivered   replies the provider (or the web chat store) confirmed
  unknown     replies interrupted mid-send and not resent (SMS policy: at most once)
  duplicates  sends the provider got more than once (Telegram policy: at least once)
  lost        sent but never stored or never answered (must be 0)

    python benchmarks/soak.py --kill-every 5
    python benchmarks/soak.py --db postgresql --kill-every 5 --customers 6 --messages 30

Everything is on 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bot.store.db import create_engine, session_factory  # noqa: E402
from bot.store.models import Message  # noqa: E402
from tests.adapters.sms.fake_twilio import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    PUBLIC_URL,
    WEBHOOK_PATH,
    FakeTwilio,
    inbound_form,
    twilio_signature,
)
from tests.adapters.telegram.fake_api import FakeTelegramAPI  # noqa: E402

TELEGRAM_TOKEN = "123456:soak-test-token"
TELEGRAM_SECRET = "soak-secret"
TELEGRAM_WEBHOOK = "/channels/telegram/webhook"
TEXTS = ["cześć", "menu", "koszyk", "pomoc", "godziny otwarcia", "dziękuję", "hello", "cart"]
MESSAGE_DEADLINE = 180.0  # seconds one message may take to be acknowledged, retries included
SETTLE_DEADLINE = 120.0
CHANNELS = ("webchat", "telegram", "sms")


@dataclass
class Tally:
    sent: int = 0
    retries: int = 0
    refused: int = 0
    sent_ids: set[str] = field(default_factory=set)  # provider ids as stored


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """`python -m bot run` on one store; killed and restarted on demand."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        self.port = port
        self.env = env
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def _spawn(self) -> subprocess.Popen[bytes]:
        with open(Path(self.env["OMNIBOT_DATA_DIR"]) / "server.log", "ab") as log:
            return subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--port", str(self.port)],
                env=self.env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    async def start(self) -> None:
        self.proc = self._spawn()
        deadline = time.monotonic() + 180
        async with httpx.AsyncClient(timeout=2) as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"server exited with {self.proc.returncode}; see server.log")
                try:
                    if (await http.get(self.url + "/healthz")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise SystemExit("server did not start within 180 s")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


async def deliver(http: httpx.AsyncClient, tally: Tally, request: dict[str, Any]) -> Any:
    """POST until a 2xx, like a provider retrying what was not acknowledged (bounded)."""
    deadline = time.monotonic() + MESSAGE_DEADLINE
    first = True
    while time.monotonic() < deadline:
        if not first:
            tally.retries += 1
            await asyncio.sleep(0.3)
        first = False
        try:
            response = await http.post(**request)
        except httpx.HTTPError:
            continue
        if response.status_code < 300:
            return response
        if response.status_code in (429,) or response.status_code >= 500:
            continue
        tally.refused += 1
        print(f"refused {response.status_code}: {response.text[:200]}", file=sys.stderr)
        return None
    raise SystemExit("a message was not acknowledged within the deadline")


async def webchat_customer(
    server: Server, index: int, messages: int, pause: float, tally: Tally
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        session = await deliver(http, tally, {"url": "/api/webchat/sessions", "json": {}})
        token = session.json()["session_token"]
        for n in range(messages):
            cid = f"w{index}-{n}"
            tally.sent += 1
            tally.sent_ids.add(cid)
            body = {"session_token": token, "text": TEXTS[n % len(TEXTS)], "client_message_id": cid}
            await deliver(http, tally, {"url": "/api/webchat/messages", "json": body})
            await asyncio.sleep(pause)


async def telegram_customer(
    server: Server, index: int, messages: int, pause: float, tally: Tally, update_ids: Any
) -> None:
    chat = 700_000 + index
    headers = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for n in range(messages):
            update_id = next(update_ids)
            sender = {"id": chat, "is_bot": False, "first_name": "Soak", "language_code": "pl"}
            update = {
                "update_id": update_id,
                "message": {
                    "message_id": n + 1,
                    "date": int(time.time()),
                    "chat": {"id": chat, "type": "private"},
                    "from": sender,
                    "text": TEXTS[n % len(TEXTS)],
                },
            }
            tally.sent += 1
            tally.sent_ids.add(str(update_id))
            await deliver(
                http, tally, {"url": TELEGRAM_WEBHOOK, "json": update, "headers": headers}
            )
            await asyncio.sleep(pause)


async def sms_customer(
    server: Server, index: int, messages: int, pause: float, tally: Tally
) -> None:
    phone = f"+4869{index:07d}"
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        for n in range(messages):
            sid = "SM" + uuid.uuid4().hex
            form = inbound_form(TEXTS[n % len(TEXTS)], from_=phone, sid=sid)
            signature = twilio_signature(PUBLIC_URL + WEBHOOK_PATH, form)
            tally.sent += 1
            tally.sent_ids.add(sid)
            request = {
                "url": WEBHOOK_PATH,
                "data": form,
                "headers": {"X-Twilio-Signature": signature},
            }
            await deliver(http, tally, request)
            await asyncio.sleep(pause)


async def killer(server: Server, every: float, load: asyncio.Future[Any]) -> None:
    while not load.done():
        await asyncio.wait({load}, timeout=every)
        if load.done():
            return
        server.kill()
        await server.start()


async def settle(database_url: str) -> None:
    """Wait until nothing is left to answer or send (bounded)."""
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    deadline = time.monotonic() + SETTLE_DEADLINE
    try:
        while time.monotonic() < deadline:
            async with sessions() as session:
                busy = await session.scalar(
                    select(Message.id)
                    .where(
                        ((Message.direction == "in") & (Message.delivery_status == "received"))
                        | (Message.delivery_status.in_(("pending", "sending")))
                    )
                    .limit(1)
                )
            if busy is None:
                return
            await asyncio.sleep(0.5)
        print("warning: the outbox did not settle within the deadline", file=sys.stderr)
    finally:
        await engine.dispose()


async def figures(
    database_url: str, tallies: dict[str, Tally], telegram: FakeTelegramAPI, twilio: FakeTwilio
) -> dict[str, dict[str, int]]:
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        rows = list(await session.scalars(select(Message)))
    await engine.dispose()
    inbound = [m for m in rows if m.direction == "in"]
    replies = [m for m in rows if m.direction == "out" and m.channel in CHANNELS]
    # What each provider accepted, by the id the outbox records for a send.
    accepted = {
        "telegram": Counter(
            f"out:{c.params.get('chat_id')}:{(c.result or {}).get('message_id')}"
            for c in telegram.sent_messages()
        ),
        "sms": Counter(m.sid for m in twilio.messages),
    }
    table: dict[str, dict[str, int]] = {}
    for channel in CHANNELS:
        tally = tallies[channel]
        mine = [m for m in inbound if m.channel == channel]

        def key(m: Message, channel: str = channel) -> str:
            if channel == "webchat":  # what the widget resends with
                return str((m.payload or {}).get("client_message_id"))
            return str(m.provider_id)

        stored_keys = Counter(key(m) for m in mine if key(m) in tally.sent_ids)
        answered = {key(m) for m in mine if m.delivery_status == "processed"} & tally.sent_ids
        out = [m for m in replies if m.channel == channel]
        unknown = sum(1 for m in out if m.delivery_status == "unknown")
        if channel == "webchat":
            delivered, duplicates = sum(1 for m in out if m.delivery_status == "sent"), 0
        else:
            sends = accepted[channel]
            recorded = {m.provider_id for m in out if m.provider_id in sends}
            # Sends whose outcome a crash lost: each `unknown` row may explain one of them.
            orphans = sum(sends.values()) - len(recorded)
            delivered = len(recorded) + min(orphans, unknown)
            duplicates = max(0, orphans - unknown)
        lost = tally.sent - len(answered)
        table[channel] = {
            "sent": tally.sent,
            "retries": tally.retries,
            "stored": len(stored_keys),
            "twice": sum(1 for n in stored_keys.values() if n > 1),
            "answered": len(answered),
            "replies": len(out),
            "delivered": delivered,
            "unknown": unknown,
            "duplicates": duplicates,
            "lost": lost,
        }
    return table


async def create_pg_database(admin_dsn: str) -> tuple[str, str]:
    import asyncpg

    name = f"omnibot_soak_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(admin_dsn, timeout=5)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    base = admin_dsn.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{name}", name


async def drop_pg_database(admin_dsn: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(admin_dsn, timeout=5)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def run(args: argparse.Namespace) -> None:
    data = tempfile.mkdtemp(prefix="omnibot-soak-")
    pg_name = None
    if args.db == "postgresql":
        database_url, pg_name = await create_pg_database(args.pg_admin)
    else:
        database_url = f"sqlite+aiosqlite:///{data}/omnibot.db"
    with FakeTelegramAPI() as telegram, FakeTwilio() as twilio:
        env = {
            **os.environ,
            "OMNIBOT_DATA_DIR": data,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "soak-" + uuid.uuid4().hex,
            "NLU_BACKEND": args.nlu,
            "LOG_LEVEL": "WARNING",
            "HF_HUB_OFFLINE": "1",
            "PUBLIC_URL": PUBLIC_URL,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE": telegram.url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_FROM_NUMBER": FROM_NUMBER,
            "TWILIO_API_BASE": twilio.url,
            "WEBCHAT_NEW_SESSIONS_PER_IP": "1000000",
            "WS_CONNECTIONS_PER_IP": "1000000",
            "WEBCHAT_READS_PER_MINUTE": "1000000",
            "MESSAGES_PER_MINUTE": "1000000",
            "OUTBOX_RETRY_BASE_SECONDS": "0.2",
            # A killed sender's claim runs out quickly, so the soak settles in seconds.
            "OUTBOX_SENDING_LEASE_SECONDS": "3",
        }
        env.pop("REDIS_URL", None)
        server = Server(args.port or free_port(), env)
        await server.start()
        tallies = {channel: Tally() for channel in CHANNELS}
        update_ids = iter(range(1_000_000, 10_000_000))
        started = time.monotonic()
        load = asyncio.ensure_future(
            asyncio.gather(
                *(
                    webchat_customer(server, i, args.messages, args.pause, tallies["webchat"])
                    for i in range(args.customers)
                ),
                *(
                    telegram_customer(
                        server, i, args.messages, args.pause, tallies["telegram"], update_ids
                    )
                    for i in range(args.customers)
                ),
                *(
                    sms_customer(server, i, args.messages, args.pause, tallies["sms"])
                    for i in range(args.customers)
                ),
            )
        )
        if args.kill_every > 0:
            await killer(server, args.kill_every, load)
        await load
        elapsed = time.monotonic() - started
        await settle(database_url)
        server.stop()
        table = await figures(database_url, tallies, telegram, twilio)
    if pg_name:
        await drop_pg_database(args.pg_admin, pg_name)
    print(
        f"{args.db}, {args.customers} customers × {args.messages} messages per channel, "
        f"{server.kills} kill -9 in {elapsed:.0f} s of load"
    )
    columns = list(next(iter(table.values())))
    print(f"{'channel':<9}" + "".join(f"{c:>11}" for c in columns))
    for channel, row in table.items():
        print(f"{channel:<9}" + "".join(f"{row[c]:>11}" for c in columns))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument(
        "--pg-admin",
        default=os.environ.get("OMNIBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL DSN allowed to create the soak's database",
    )
    parser.add_argument("--customers", type=int, default=5, help="customers per channel")
    parser.add_argument("--messages", type=int, default=20, help="messages per customer")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between messages")
    parser.add_argument("--kill-every", type=float, default=0.0, help="kill -9 every N seconds")
    parser.add_argument("--nlu", default="keywords", help="NLU_BACKEND (keywords|auto)")
    # Default: a free port, so that two soaks on one machine never talk to each other's server.
    parser.add_argument("--port", type=int, default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()

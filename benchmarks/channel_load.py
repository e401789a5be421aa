"""Telegram and SMS load: N concurrent customers through the channels' real webhooks.

    python benchmarks/channel_load.py --customers 50 --messages 20
    python benchmarks/channel_load.py --channel sms --database-url postgresql+asyncpg://…

Starts this checkout's server on a temp data dir (its database counted: see
`counted_server.py`) with the Telegram and SMS channels pointed at the tests' fake Telegram
Bot API and fake Twilio REST API, run in this process. Each customer posts an update to the
Telegram webhook (with the secret header) or an SMS to the Twilio webhook (signed as Twilio
signs), waits until a reply of the bot reaches the fake, and sends the next one.

Prints per channel: messages/s; p50/p99 from the webhook's POST to the first reply reaching
the fake (matched exactly: the reply's provider id, as the fake issued it, is on the reply's
row, which points at the inbound message); p50/p99 of the webhook's own answer; the
database's statements, transactions, commits and round trips per message (trips to
SQLite's thread; on PostgreSQL BEGIN, statements and COMMIT); and the server's CPU per
message (all its threads, from /proc). The outbox's own loop (two queries a second when
idle) is counted in, as a server runs it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from webchat_load import (  # noqa: E402
    REPEATED,
    cpu_seconds,
    heldout_texts,
    load_average,
    new_data_dir,
    percentile,
    server_env,
)

from tests.adapters.sms.fake_twilio import (  # noqa: E402
    ACCOUNT_SID,
    AUTH_TOKEN,
    FROM_NUMBER,
    FakeTwilio,
    inbound_form,
    twilio_signature,
)
from tests.adapters.telegram import updates  # noqa: E402
from tests.adapters.telegram.fake_api import FakeTelegramAPI  # noqa: E402

TELEGRAM_TOKEN = "123456:bench-token"
TELEGRAM_SECRET = "bench-secret"
TELEGRAM_WEBHOOK = "/channels/telegram/webhook"
SMS_WEBHOOK = "/channels/sms/twilio"
REPLY_TIMEOUT_S = 60.0


class Replies:
    """Replies reaching the fakes (on their threads), seen by the benchmark's loop: per
    customer, how many came; per provider id, when."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.arrived_at: dict[str, float] = {}
        self.count: dict[str, int] = defaultdict(int)
        self._waiting: dict[str, asyncio.Event] = {}

    def reached_fake(self, customer: str, provider_id: str, at: float) -> None:
        """Called on a fake's thread."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._record, customer, provider_id, at)

    def _record(self, customer: str, provider_id: str, at: float) -> None:
        self.arrived_at[provider_id] = at
        self.count[customer] += 1
        event = self._waiting.get(customer)
        if event is not None:
            event.set()

    async def wait_beyond(self, customer: str, seen: int) -> None:
        event = self._waiting.setdefault(customer, asyncio.Event())
        async with asyncio.timeout(REPLY_TIMEOUT_S):
            while self.count[customer] <= seen:
                event.clear()
                await event.wait()


class TelegramFake(FakeTelegramAPI):
    def __init__(self, replies: Replies) -> None:
        super().__init__()
        self.replies = replies

    async def _api_sendMessage(self, params: dict[str, Any], token: str) -> Any:
        message = await super()._api_sendMessage(params, token)
        chat_id = params.get("chat_id")
        at = time.monotonic()
        self.replies.reached_fake(f"tg:{chat_id}", f"out:{chat_id}:{message['message_id']}", at)
        with self._lock:  # keep the fake's memory flat over a long run
            self.calls.clear()
        return message


class TwilioFake(FakeTwilio):
    def __init__(self, replies: Replies) -> None:
        super().__init__()
        self.replies = replies

    def _create(self, account_sid: str, form: dict[str, str]) -> Any:
        response = super()._create(account_sid, form)
        if response.status_code == 201:
            sid = json.loads(bytes(response.body))["sid"]
            self.replies.reached_fake(f"sms:{form.get('To')}", sid, time.monotonic())
        with self._lock:
            self._state.messages.clear()
            self._state.calls.clear()
            self._state.resources.clear()
        return response


class Crowd:
    """The simulated customers of one channel and what they measured."""

    def __init__(self, channel: str, url: str, replies: Replies, first: int) -> None:
        self.channel = channel
        self.url = url
        self.replies = replies
        self.first = first  # customers' numbers start here (a new run, new customers)
        self.sent_at: dict[str, float] = {}  # inbound provider id → POST started
        self.acks: list[float] = []

    async def customer(self, http: aiohttp.ClientSession, n: int, texts: list[str]) -> None:
        number = self.first + n
        for words in texts:
            if self.channel == "telegram":
                key = f"tg:{number}"
                update = updates.text(number, words)
                provider_id = str(update["update_id"])
                request = http.post(
                    self.url + TELEGRAM_WEBHOOK,
                    data=orjson.dumps(update),
                    headers={
                        "Content-Type": "application/json",
                        "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET,
                    },
                )
            else:
                phone = f"+4866{number:07d}"
                key = f"sms:{phone}"
                form = inbound_form(words, from_=phone)
                provider_id = form["MessageSid"]
                signature = twilio_signature(self.url + SMS_WEBHOOK, form, AUTH_TOKEN)
                request = http.post(
                    self.url + SMS_WEBHOOK, data=form, headers={"X-Twilio-Signature": signature}
                )
            seen = self.replies.count[key]
            started = time.monotonic()
            self.sent_at[provider_id] = started
            async with request as response:
                response.raise_for_status()
                await response.read()
            self.acks.append(time.monotonic() - started)
            await self.replies.wait_beyond(key, seen)


async def run_crowd(
    crowd: Crowd, customers: int, messages: int, texts: list[str]
) -> tuple[float, int]:
    """Every customer's messages through the webhook; (seconds, messages)."""
    # Idle connections are closed before the server's keep-alive (5 s) would close them
    # under a request just sent: replies can take that long on a loaded machine.
    connector = aiohttp.TCPConnector(limit=customers + 10, keepalive_timeout=2)
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        started = time.perf_counter()
        await asyncio.gather(
            *(
                crowd.customer(
                    http, n, [texts[(n * messages + i) % len(texts)] for i in range(messages)]
                )
                for n in range(customers)
            )
        )
        return time.perf_counter() - started, customers * messages


async def reply_latencies(database_url: str, crowd: Crowd, replies: Replies) -> list[float]:
    """Per inbound message: its first reply's arrival at the fake − its POST's start."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT i.provider_id, o.provider_id FROM messages o "
                    "JOIN messages i ON o.in_reply_to_id = i.id "
                    "WHERE o.direction = 'out' AND i.channel = :channel "
                    "AND o.provider_id IS NOT NULL"
                ),
                {"channel": crowd.channel},
            )
            first: dict[str, float] = {}
            for inbound_id, outbound_id in rows:
                at = replies.arrived_at.get(outbound_id)
                if inbound_id in crowd.sent_at and at is not None:
                    first[inbound_id] = min(at, first.get(inbound_id, at))
    finally:
        await engine.dispose()
    return [first[p] - crowd.sent_at[p] for p in first]


def free_port() -> int:
    """A port nobody listens on now (a server found on a fixed one may be another's)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_counts(proc: subprocess.Popen[bytes], path: Path) -> dict[str, int]:
    """The server's database counters so far (it writes them on SIGUSR1)."""
    path.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + 10
    while not path.exists():
        if time.monotonic() > deadline:
            raise SystemExit("the server wrote no counts (is it counted_server.py?)")
        time.sleep(0.02)
    counts: dict[str, int] = json.loads(path.read_text())
    return counts


def spawn(
    port: int, nlu: str, data: str, database_url: str, telegram_api: str, twilio_api: str
) -> tuple[subprocess.Popen[bytes], str]:
    url = f"http://127.0.0.1:{port}"
    env = {
        **server_env(data, nlu),
        "DATABASE_URL": database_url,
        "PUBLIC_URL": url,
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET,
        "TELEGRAM_API_BASE": telegram_api,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "TWILIO_API_BASE": twilio_api,
        "OMNIBOT_BENCH_COUNTS": str(Path(data) / "db-counts.json"),
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            str(Path(__file__).with_name("counted_server.py")),
            "run",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(Path(data) / "server.log").open("wb"),
    )
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="messages per customer")
    parser.add_argument("--channel", choices=["telegram", "sms", "both"], default="both")
    parser.add_argument(
        "--port", type=int, default=0, help="the server's port (default: a free one)"
    )
    parser.add_argument("--nlu", default="auto", help="the server's NLU_BACKEND (auto|keywords)")
    parser.add_argument("--texts", choices=["heldout", "repeated"], default="heldout")
    parser.add_argument(
        "--database-url", default=None, help="the server's DATABASE_URL (default: SQLite)"
    )
    args = parser.parse_args()
    texts = heldout_texts() if args.texts == "heldout" else REPEATED
    data = new_data_dir()
    database_url = args.database_url or f"sqlite+aiosqlite:///{Path(data) / 'omnibot.db'}"
    replies = Replies()
    telegram, twilio = TelegramFake(replies).start(), TwilioFake(replies).start()
    port = args.port or free_port()
    proc, url = spawn(port, args.nlu, data, database_url, telegram.url, twilio.url)
    counts_file = Path(data) / "db-counts.json"
    print(f"data dir (database, server.log): {data}", flush=True)
    print(f"load average before: {load_average()}", flush=True)
    database = "PostgreSQL" if database_url.startswith("postgresql") else "SQLite"

    async def measure(
        channel: str, customers: int, messages: int, first: int, warm_up: bool = False
    ) -> None:
        replies.loop = asyncio.get_running_loop()
        crowd = Crowd(channel, url, replies, first)
        cpu_before, counts_before = cpu_seconds(proc.pid), read_counts(proc, counts_file)
        seconds, sent = await run_crowd(crowd, customers, messages, texts)
        cpu_after, counts_after = cpu_seconds(proc.pid), read_counts(proc, counts_file)
        if warm_up:
            return
        latencies = await reply_latencies(database_url, crowd, replies)
        per = {k: (counts_after[k] - counts_before[k]) / sent for k in counts_after}
        # SQLite: trips to aiosqlite's thread; PostgreSQL: BEGIN, each statement, COMMIT.
        trips = per["trips"] or per["statements"] + per["transactions"] + per["commits"]
        cpu = ""
        if cpu_before is not None and cpu_after is not None:
            cpu = f"  server CPU {(cpu_after - cpu_before) / sent * 1000:.1f} ms/msg"
        unmatched = f" ({sent - len(latencies)} unmatched)" if len(latencies) < sent else ""
        print(
            f"{channel:8s} {database} customers={customers} messages={sent} "
            f"{sent / seconds:.0f} msg/s  to reply p50={percentile(latencies, 50) * 1000:.0f} ms "
            f"p99={percentile(latencies, 99) * 1000:.0f} ms{unmatched}  webhook answer "
            f"p50={statistics.median(crowd.acks) * 1000:.0f} ms "
            f"p99={percentile(crowd.acks, 99) * 1000:.0f} ms\n"
            f"         per message: {per['statements']:.1f} statements, "
            f"{per['transactions']:.2f} transactions, {per['commits']:.2f} commits, "
            f"{trips:.1f} round trips{cpu}",
            flush=True,
        )

    async def measure_all() -> None:
        channels = ["telegram", "sms"] if args.channel == "both" else [args.channel]
        for index, channel in enumerate(channels):
            await measure(channel, 2, 3, 900_000 + 10 * index, warm_up=True)
            await measure(channel, args.customers, args.messages, 1 + 100_000 * index)

    try:
        asyncio.run(measure_all())
        print(f"load average after: {load_average()}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        telegram.stop()
        twilio.stop()


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()

"""Web chat load: N concurrent customers over REST and WebSocket against a running server.

    python benchmarks/webchat_load.py --url http://127.0.0.1:8000 --customers 50 --messages 20
    python benchmarks/webchat_load.py --spawn      # starts this checkout's server on a temp dir
    python benchmarks/webchat_load.py --spawn --rate 100  # 100 msg/s offered in all

Prints messages/s and p50/p95/p99 latency (send → the bot's reply received) per transport.
Each customer sends a message, waits for the reply, and sends the next one at once (the
default: the server's capacity) or on a schedule (`--rate`: total messages/s offered).
Texts are customer phrasings the bot was not trained on (intents/data/heldout_*.jsonl;
`--texts repeated` uses eight fixed ones, which the NLU's caches remember).

In the same run, once the load is over, the default NLU encoder alone embeds the same texts
in batches of 32 (in this process, no caches): the server's messages/s is printed as a
ratio of that throughput, the ceiling a server whose only cost was its model would reach.
Load averages before and after are printed too: the figures mean little on a busy machine.
The server's CPU time per message (all its threads and its parse worker's; Linux, for a
spawned server or one named by `--server-pid`) says what a message costs whatever else the
machine is doing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import orjson

ROOT = Path(__file__).resolve().parents[1]
HELDOUT = ROOT / "intents" / "data"
ENCODER_BATCH = 32
JSON_BODY = {"Content-Type": "application/json"}
# Handing the conversation to a human silences the bot (asking for one, a complaint, or
# misunderstood messages in a row): those phrasings are left out.
HANDOFF_INTENTS = {"human_handoff", "complaint", "oos"}
REPLY_TIMEOUT_S = 60.0  # a reply that takes longer fails the run instead of hanging it
REPEATED = [
    "cześć",
    "menu",
    "koszyk",
    "poproszę dużą margheritę",
    "hello",
    "show me the menu",
    "what's in my cart",
    "pomoc",
]


def heldout_texts() -> list[str]:
    """Customer phrasings in both languages, interleaved, none that leads to a human."""
    by_lang = []
    for lang in ("pl", "en"):
        rows = [json.loads(line) for line in (HELDOUT / f"heldout_{lang}.jsonl").open()]
        by_lang.append([r["text"] for r in rows if r["intent"] not in HANDOFF_INTENTS])
    return [t for pair in zip(*by_lang, strict=False) for t in pair]


def sent_texts(texts: list[str], customers: int, messages: int) -> list[str]:
    """Every text the crowd of `run` sends, once each, in the order first sent."""
    crowd = [Customer(texts, messages, n * messages, 0.0) for n in range(customers)]
    return list(dict.fromkeys(t for c in crowd for t in c.texts))


def encoder_throughput(texts: list[str], cache_dir: Path | None, passes: int = 3) -> float:
    """Sentences/s of the default NLU encoder alone: `texts` in batches of 32, no caches
    (the ONNX export is read from `cache_dir` when the server made it there)."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TQDM_DISABLE", "1")  # no progress bar over the figures
    from bot.settings import Settings
    from intents.encoder import Encoder

    settings = Settings()
    encoder = Encoder(
        settings.embedding_model, cache_dir, lru_size=0, backend=settings.embedding_backend
    )
    try:
        encoder.encode_recent(texts[:ENCODER_BATCH])  # warm-up
        rates = []
        for _ in range(passes):
            started = time.perf_counter()
            for i in range(0, len(texts), ENCODER_BATCH):
                encoder.encode_recent(texts[i : i + ENCODER_BATCH])
            rates.append(len(texts) / (time.perf_counter() - started))
    finally:
        encoder.close()
    return statistics.median(rates)


def cpu_seconds(pid: int | None) -> float | None:
    """CPU time (user + system, every thread) the process `pid` and the processes it started
    (its parse worker) have used so far; None where Linux's /proc is not there to tell."""
    if pid is None:
        return None
    total = 0
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            if current == pid:
                return None
            continue  # a child that has just exited
        total += int(fields[11]) + int(fields[12])
        if current == pid:  # and its children that exited and were waited for (a worker lost)
            total += int(fields[13]) + int(fields[14])
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError, ValueError):
                todo.extend(int(c) for c in task.read_text().split())
    return total / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


class Customer:
    """One simulated customer: which texts it sends, how often, and what it measured."""

    def __init__(self, texts: list[str], n: int, first: int, interval: float) -> None:
        self.texts = [texts[(first + i) % len(texts)] for i in range(n)]
        self.interval = interval  # seconds between sends; 0 = as soon as answered
        self.latencies: list[float] = []

    async def paced(self) -> AsyncIterator[str]:
        """The texts, each at its scheduled time (never before the last reply)."""
        due = time.perf_counter() + random.uniform(0, self.interval)
        for text in self.texts:
            if self.interval:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                due += self.interval
            yield text

    async def over_rest(self, http: aiohttp.ClientSession, url: str, start: Start) -> None:
        token = await new_session(http, url)
        await start.ready()
        async for text in self.paced():
            body = {"session_token": token, "text": text, "client_message_id": uuid.uuid4().hex}
            started = time.perf_counter()
            async with http.post(f"{url}/api/webchat/messages", data=orjson.dumps(body),
                                 headers=JSON_BODY) as r:  # fmt: skip
                r.raise_for_status()
                got = orjson.loads(await r.read())
            assert got["replies"], got
            self.latencies.append(time.perf_counter() - started)

    async def over_ws(self, http: aiohttp.ClientSession, url: str, start: Start) -> None:
        token = await new_session(http, url)
        ws_url = url.replace("http", "ws", 1) + "/ws/webchat"
        # permessage-deflate is offered, as browsers offer it: the server's setting decides.
        async with http.ws_connect(ws_url, params={"token": token}, compress=15) as ws:
            await start.ready()
            async for text in self.paced():
                cid = uuid.uuid4().hex
                frame = orjson.dumps({"type": "message", "text": text, "client_message_id": cid})
                started = time.perf_counter()
                await ws.send_str(frame.decode())
                while True:
                    got = orjson.loads(await ws.receive_str(timeout=REPLY_TIMEOUT_S))
                    if got.get("type") == "message" and got["message"]["author"] == "bot":
                        break
                self.latencies.append(time.perf_counter() - started)


class Start:
    """The moment every customer has its chat open (a session, and a socket over WS): the
    first message is sent from then on, and the clock starts then. Fifty chats opened in the
    same instant (a burst a shop's site never sees) are not messages: their first messages,
    queued behind the openings, would be counted as the messages' latency."""

    def __init__(self, customers: int) -> None:
        self.waiting = customers
        self.go = asyncio.Event()
        self.at = 0.0

    async def ready(self) -> None:
        self.waiting -= 1
        if self.waiting == 0:
            self.at = time.perf_counter()
            self.go.set()
        await self.go.wait()


async def new_session(http: aiohttp.ClientSession, url: str) -> str:
    async with http.post(f"{url}/api/webchat/sessions") as r:
        r.raise_for_status()
        return str(orjson.loads(await r.read())["session_token"])


async def run(
    url: str,
    customers: int,
    messages: int,
    transport: str,
    texts: list[str],
    rate: float = 0.0,
) -> dict[str, float]:
    interval = customers / rate if rate else 0.0
    crowd = [Customer(texts, messages, n * messages, interval) for n in range(customers)]
    # One kept-alive connection per customer, as a browser keeps its own.
    connector = aiohttp.TCPConnector(limit=customers + 10)
    timeout = aiohttp.ClientTimeout(total=REPLY_TIMEOUT_S)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        start = Start(customers)
        cpu_started = time.process_time()
        if transport == "rest":
            await asyncio.gather(*(c.over_rest(http, url, start) for c in crowd))
        else:
            await asyncio.gather(*(c.over_ws(http, url, start) for c in crowd))
        elapsed = time.perf_counter() - start.at
        client_cpu = time.process_time() - cpu_started
    latencies = [x for c in crowd for x in c.latencies]
    return {
        "client_cpu_ms": client_cpu / max(len(latencies), 1) * 1000,
        "messages": len(latencies),
        "seconds": elapsed,
        "messages_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


def new_data_dir() -> str:
    return tempfile.mkdtemp(prefix="omnibot-bench-")


def server_env(data: str, nlu: str) -> dict[str, str]:
    """The environment of a benchmark server on the data dir `data`."""
    return {
        **os.environ,
        "OMNIBOT_DATA_DIR": data,
        "NLU_BACKEND": nlu,
        "LOG_LEVEL": "WARNING",
        "HF_HUB_OFFLINE": "1",
        # Every simulated customer comes from 127.0.0.1: lift the per-address cap.
        "WEBCHAT_NEW_SESSIONS_PER_IP": "1000000",
        "WS_CONNECTIONS_PER_IP": "1000000",
        "WEBCHAT_READS_PER_MINUTE": "1000000",
        # Simulated customers send as fast as they are answered: lift the per-session rate.
        "MESSAGES_PER_MINUTE": "1000000",
    }


def spawn_server(
    port: int, nlu: str, data: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`omnibot run` on `data` (a new temp dir by default); returns once it answers."""
    env = server_env(data or new_data_dir(), nlu)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port)],
        cwd=ROOT,  # this checkout's server, whatever the current directory
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--messages", type=int, default=20, help="messages per customer")
    parser.add_argument("--transport", choices=["rest", "ws", "both"], default="both")
    parser.add_argument("--spawn", action="store_true", help="start a server on a temp data dir")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--nlu", default="auto", help="NLU_BACKEND for --spawn (auto|keywords)")
    parser.add_argument(
        "--rate", type=float, default=0.0, help="messages/s offered in all (0: as fast as answered)"
    )
    parser.add_argument("--texts", choices=["heldout", "repeated"], default="heldout")
    parser.add_argument(
        "--encoder-cache",
        type=Path,
        default=None,
        help="where the server keeps its ONNX export (default: the spawned server's; "
        "with --url, a temp dir, so the encoder is exported first)",
    )
    parser.add_argument(
        "--server-pid", type=int, default=None, help="with --url: report this process's CPU"
    )
    args = parser.parse_args()
    texts = heldout_texts() if args.texts == "heldout" else REPEATED
    proc = None
    url = args.url
    cache_dir = args.encoder_cache
    pid = args.server_pid
    if args.spawn:
        data = new_data_dir()
        proc, url = spawn_server(args.port, args.nlu, data)
        cache_dir = cache_dir or Path(data) / "cache"
        pid = proc.pid
    print(f"load average before: {load_average()}")
    results: dict[str, dict[str, float]] = {}
    try:
        asyncio.run(run(url, 2, 3, "rest", REPEATED))  # warm-up
        # The client's own full collections (100-400 ms, its imports' objects walked each
        # time) would stop every customer at once and count as the server's latency.
        gc.collect()
        gc.freeze()
        transports = ["rest", "ws"] if args.transport == "both" else [args.transport]
        for transport in transports:
            cpu_before = cpu_seconds(pid)
            result = asyncio.run(
                run(url, args.customers, args.messages, transport, texts, args.rate)
            )
            cpu_after = cpu_seconds(pid)
            results[transport] = result
            offered = f"offered={args.rate:g}/s " if args.rate else ""
            cpu = ""
            if cpu_before is not None and cpu_after is not None:
                per_message = (cpu_after - cpu_before) / result["messages"]
                cpu = f"  server CPU {per_message * 1000:.1f} ms/msg"
            cpu += f"  client CPU {result['client_cpu_ms']:.1f} ms/msg"
            print(
                f"{transport:4s} customers={args.customers} messages={result['messages']} "
                f"texts={args.texts} {offered}"
                f"{result['messages_per_s']:.0f} msg/s  p50={result['p50_ms']:.1f} ms "
                f"p95={result['p95_ms']:.1f} ms  p99={result['p99_ms']:.1f} ms{cpu}",
                flush=True,
            )
        # The server is idle now: its own model, alone, on the texts it was just sent.
        distinct = sent_texts(texts, args.customers, args.messages)
        cache_dir = cache_dir or Path(tempfile.mkdtemp(prefix="omnibot-encoder-"))
        encoder = encoder_throughput(distinct, cache_dir)
        print(
            f"encoder alone: {encoder:.0f} sentences/s "
            f"({len(distinct)} distinct texts, batches of {ENCODER_BATCH})"
        )
        for transport, result in results.items():
            print(
                f"{transport:4s} msg/s / encoder's sentences/s = "
                f"{result['messages_per_s'] / encoder:.2f}"
            )
        print(f"load average after: {load_average()}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()

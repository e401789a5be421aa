"""Web chat load: N concurrent customers over REST and WebSocket against a running server.

    python benchmarks/webchat_load.py --url http://127.0.0.1:8000 --customers 50 --messages 20
    python benchmarks/webchat_load.py --spawn      # starts `omnibot run` on a temp data dir

Prints messages/s and p50/p95/p99 latency (send → the bot's reply received) per transport.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import httpx
import websockets

TEXTS = [
    "cześć",
    "menu",
    "koszyk",
    "poproszę dużą margheritę",
    "hello",
    "show me the menu",
    "what's in my cart",
    "pomoc",
]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


async def rest_customer(http: httpx.AsyncClient, n: int, latencies: list[float]) -> None:
    token = (await http.post("/api/webchat/sessions")).json()["session_token"]
    for i in range(n):
        started = time.perf_counter()
        r = await http.post(
            "/api/webchat/messages",
            json={
                "session_token": token,
                "text": TEXTS[i % len(TEXTS)],
                "client_message_id": uuid.uuid4().hex,
            },
        )
        r.raise_for_status()
        assert r.json()["replies"], r.text
        latencies.append(time.perf_counter() - started)


async def ws_customer(http: httpx.AsyncClient, ws_url: str, n: int, latencies: list[float]) -> None:
    token = (await http.post("/api/webchat/sessions")).json()["session_token"]
    async with websockets.connect(f"{ws_url}?token={token}") as ws:
        for i in range(n):
            cid = uuid.uuid4().hex
            started = time.perf_counter()
            await ws.send(
                json.dumps(
                    {"type": "message", "text": TEXTS[i % len(TEXTS)], "client_message_id": cid}
                )
            )
            while True:
                frame = json.loads(await ws.recv())
                if frame.get("type") == "message" and frame["message"]["author"] == "bot":
                    break
            latencies.append(time.perf_counter() - started)


async def run(url: str, customers: int, messages: int, transport: str) -> dict[str, float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=customers + 10)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=60) as http:
        ws_url = url.replace("http", "ws", 1) + "/ws/webchat"
        started = time.perf_counter()
        if transport == "rest":
            jobs = [rest_customer(http, messages, latencies) for _ in range(customers)]
        else:
            jobs = [ws_customer(http, ws_url, messages, latencies) for _ in range(customers)]
        await asyncio.gather(*jobs)
        elapsed = time.perf_counter() - started
    return {
        "messages": len(latencies),
        "seconds": elapsed,
        "messages_per_s": len(latencies) / elapsed,
        "p50_ms": percentile(latencies, 50) * 1000,
        "p95_ms": percentile(latencies, 95) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "mean_ms": statistics.fmean(latencies) * 1000,
    }


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
    }


def spawn_server(
    port: int, nlu: str, data: str | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """`omnibot run` on `data` (a new temp dir by default); returns once it answers."""
    env = server_env(data or tempfile.mkdtemp(prefix="omnibot-bench-"), nlu)
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port)],
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
    args = parser.parse_args()
    proc = None
    url = args.url
    if args.spawn:
        proc, url = spawn_server(args.port, args.nlu)
    try:
        asyncio.run(run(url, 2, 3, "rest"))  # warm-up
        transports = ["rest", "ws"] if args.transport == "both" else [args.transport]
        for transport in transports:
            result = asyncio.run(run(url, args.customers, args.messages, transport))
            print(
                f"{transport:4s} customers={args.customers} messages={result['messages']} "
                f"{result['messages_per_s']:.0f} msg/s  p50={result['p50_ms']:.1f} ms "
                f"p95={result['p95_ms']:.1f} ms  p99={result['p99_ms']:.1f} ms"
            )
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()

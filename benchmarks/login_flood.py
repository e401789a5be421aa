"""How a login flood affects everyone else: /healthz and web chat latency while N clients
loop over wrong logins (unknown e-mails, each from its own forwarded address so the
per-address budget does not stop them), against a server it starts (`omnibot run`).

    python benchmarks/login_flood.py --attackers 4 --seconds 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def sample(url: str, seconds: float) -> tuple[list[float], list[float]]:
    """Latencies (ms) of /healthz and of a web chat message, one after another."""
    health: list[float] = []
    chat: list[float] = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        deadline = time.monotonic() + seconds
        n = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            await http.get("/healthz")
            health.append((time.perf_counter() - started) * 1000)
            n += 1
            started = time.perf_counter()
            await http.post(
                "/api/webchat/messages",
                json={"session_token": token, "text": "menu", "client_message_id": f"m{n}"},
            )
            chat.append((time.perf_counter() - started) * 1000)
            await asyncio.sleep(0.05)
    return health, chat


async def attacker(url: str, index: int, stop: asyncio.Event) -> int:
    tries = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        while not stop.is_set():
            tries += 1
            await http.post(
                "/api/auth/token",
                data={"username": f"nobody{index}-{tries}@shop.pl", "password": "guess"},
                headers={"X-Forwarded-For": f"10.{index}.{tries // 250}.{tries % 250}"},
            )
    return tries


def describe(name: str, values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"{name}: median {statistics.median(values):.1f} ms, p95 {q[94]:.1f} ms"


def start_server() -> tuple[subprocess.Popen[bytes], str]:
    """`omnibot run` on a fresh data dir; returns once it answers."""
    port = free_port()
    env = {
        **os.environ,
        "OMNIBOT_DATA_DIR": tempfile.mkdtemp(prefix="omnibot-bench-"),
        "NLU_BACKEND": "keywords",
        "LOG_LEVEL": "WARNING",
        "MESSAGES_PER_MINUTE": "1000000",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return server, url


async def measure(url: str, attackers: int, seconds: float) -> None:
    health, chat = await sample(url, seconds)
    print("idle      ", describe("/healthz", health), "|", describe("web chat", chat))
    stop = asyncio.Event()
    tasks = [asyncio.create_task(attacker(url, i, stop)) for i in range(attackers)]
    health, chat = await sample(url, seconds)
    stop.set()
    tries = sum(await asyncio.gather(*tasks))
    print(
        f"{attackers} flooding", describe("/healthz", health), "|",
        describe("web chat", chat), f"| {tries / seconds:.0f} logins/s refused",
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--attackers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    server, url = start_server()
    try:
        asyncio.run(measure(url, args.attackers, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=15)


if __name__ == "__main__":
    main()

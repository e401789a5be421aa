"""Scale-out: 1, 2 and 3 instances on one PostgreSQL and one Redis behind a local balancer.

For each instance count, starts that many `omnibot run` processes on a fresh PostgreSQL
database and one Redis, puts a round-robin TCP balancer in front (each simulated customer
holds its own connection, so customers spread evenly over the instances, as behind
Caddy or nginx), and has N customers chat over REST as fast as they are answered. Prints
messages/s and p50/p95/p99 latency per instance count, and the machine's cores: every
instance, the database, Redis, the balancer and this client share them, so on a 2-core
machine the curve flattens once the cores are busy.

    python benchmarks/scaleout.py                      # 1 2 3 instances, keyword NLU
    python benchmarks/scaleout.py --instances 1 3 --customers 60 --messages 15 --nlu auto

Needs PostgreSQL (OMNIBOT_TEST_PG, default postgresql://postgres@127.0.0.1:5432/postgres)
and Redis (--redis, default redis://127.0.0.1:6379/14, flushed before each run).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
import asyncpg
import httpx
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from webchat_load import REPEATED, Customer, heldout_texts, percentile, server_env

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get("OMNIBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Balancer:
    """Round-robin over the instances, one upstream per client connection."""

    def __init__(self, ports: list[int]) -> None:
        self.upstreams = itertools.cycle(ports)
        self.port = free_port()

    async def start(self) -> asyncio.Server:
        return await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", next(self.upstreams))
        except OSError:
            writer.close()
            return

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


def spawn(port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(timeout=2) as http:
        for _ in range(1800):  # up to ~3 minutes on a busy machine
            if proc.poll() is not None:
                raise SystemExit(f"instance {url} exited with {proc.returncode}")
            try:
                if (await http.get(url + "/readyz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit(f"instance {url} never became ready")


async def measure(instances: int, args: argparse.Namespace, texts: list[str]) -> dict[str, float]:
    admin = await asyncpg.connect(PG_ADMIN)
    name = f"omnibot_scaleout_{uuid.uuid4().hex[:8]}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    redis = Redis.from_url(args.redis)
    await redis.flushdb()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    procs: list[subprocess.Popen[bytes]] = []
    server: asyncio.Server | None = None
    try:
        ports = [free_port() for _ in range(instances)]
        for port in ports:
            env = server_env(tempfile.mkdtemp(prefix="omnibot-scaleout-"), args.nlu)
            env.update(
                DATABASE_URL=f"{base}/{name}",
                REDIS_URL=args.redis,
                SECRET_KEY="scaleout-benchmark-key-not-for-production",
                LOG_LEVEL="WARNING",
            )
            procs.append(spawn(port, env))
        pairs = zip(ports, procs, strict=True)
        await asyncio.gather(*(wait_ready(f"http://127.0.0.1:{p}", proc) for p, proc in pairs))
        balancer = Balancer(ports)
        server = await balancer.start()
        customers = [
            Customer(texts, args.messages, first=i * 7, interval=0.0) for i in range(args.customers)
        ]
        timeout = aiohttp.ClientTimeout(total=60)
        clients = [aiohttp.ClientSession(timeout=timeout) for _ in customers]
        url = f"http://127.0.0.1:{balancer.port}"
        started = time.perf_counter()
        await asyncio.gather(
            *(c.over_rest(h, url) for c, h in zip(customers, clients, strict=True))
        )
        elapsed = time.perf_counter() - started
        for client in clients:
            await client.close()
        latencies = [x for c in customers for x in c.latencies]
        return {
            "msg_s": len(latencies) / elapsed,
            "p50": percentile(latencies, 50) * 1000,
            "p95": percentile(latencies, 95) * 1000,
            "p99": percentile(latencies, 99) * 1000,
        }
    finally:
        if server is not None:
            server.close()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        await redis.flushdb()
        await redis.aclose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--messages", type=int, default=10, help="messages per customer")
    parser.add_argument("--nlu", default="keywords", help="NLU_BACKEND (keywords | auto)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    # The keyword NLU misses most free-form phrasings, and three misses in a row hand the
    # customer to a human (the bot then stays silent): it gets texts it understands.
    texts = REPEATED if args.nlu == "keywords" else heldout_texts()
    load = os.getloadavg()[0]
    print(
        f"{os.cpu_count()} cores, load average {load:.1f} before the run; PostgreSQL + Redis "
        f"+ balancer + client on the same machine; NLU {args.nlu}; "
        f"{args.customers} customers × {args.messages} messages over REST"
    )
    print("| instances | msg/s | p50 | p95 | p99 |")
    print("| --- | --- | --- | --- | --- |")
    for n in args.instances:
        r = await measure(n, args, texts)
        row = [f"{r['msg_s']:.0f}"] + [f"{r[p]:.0f} ms" for p in ("p50", "p95", "p99")]
        print(f"| {n} | " + " | ".join(row) + " |", flush=True)


if __name__ == "__main__":
    asyncio.run(main())

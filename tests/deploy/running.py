"""`python -m bot run` as a user starts it: a real process on a free port, until it is ready."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def running(
    env: dict[str, str], log: Path, start_tries: int = 600
) -> AsyncIterator[httpx.AsyncClient]:
    """Start the server with `env`, its output into `log`; a client once /readyz answers 200
    (asked up to `start_tries` times, 0.1 s apart). The server is stopped on leaving."""
    port = free_port()
    with open(log, "wb") as out:  # noqa: ASYNC230 - a local log file
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", "--port", str(port),
            cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:
            for _ in range(start_tries):  # bounded wait for the start
                try:
                    if (await http.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
            yield http
    finally:
        process.terminate()
        await process.wait()

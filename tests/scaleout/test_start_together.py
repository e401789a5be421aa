"""Three instances started at the same moment on an empty PostgreSQL all become ready."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import httpx

from tests.conftest import free_port, postgres_database

ROOT = Path(__file__).resolve().parents[2]


def tail(log: Path) -> str:
    return log.read_text()[-3000:]


async def wait_ready(url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(1200):  # bounded: a broken start fails with its log, never hangs
            assert process.returncode is None, f"instance exited:\n{tail(log)}"
            try:
                if (await http.get(f"{url}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} never became ready:\n{tail(log)}")


async def test_three_instances_starting_together_on_an_empty_database_all_serve(
    tmp_path: Path, redis_url: str
) -> None:
    async with postgres_database() as database_url:
        instances = []
        try:
            for n in range(3):
                port = free_port()
                log = tmp_path / f"instance{n}.log"
                env = {
                    **os.environ,
                    "DATABASE_URL": database_url,
                    "REDIS_URL": redis_url,
                    "SECRET_KEY": "three-instances-test-key-not-for-production",
                    "OMNIBOT_DATA_DIR": str(tmp_path / f"data{n}"),
                    "NLU_BACKEND": "keywords",
                }
                command = [sys.executable, "-m", "bot", "run", "--port", str(port)]
                with open(log, "wb") as out:  # noqa: ASYNC230 - a local file, opened once
                    process = await asyncio.create_subprocess_exec(
                        *command, cwd=ROOT, env=env, stdout=out, stderr=asyncio.subprocess.STDOUT
                    )
                instances.append((f"http://127.0.0.1:{port}", process, log))
            await asyncio.gather(*(wait_ready(*i) for i in instances))
            # Each one serves a customer; the three agree on one schema and one content.
            async with httpx.AsyncClient(timeout=30) as http:
                for n, (url, _, _) in enumerate(instances):
                    session = await http.post(f"{url}/api/webchat/sessions")
                    reply = await http.post(
                        f"{url}/api/webchat/messages",
                        json={
                            "session_token": session.json()["session_token"],
                            "text": "menu",
                            "client_message_id": f"m{n}",
                        },
                    )
                    assert reply.status_code == 200 and reply.json()["replies"], reply.text
            for _, _, log in instances:
                assert "Traceback" not in log.read_text(), tail(log)
        finally:
            for _, process, _ in instances:
                process.terminate()
            for _, process, _ in instances:
                try:
                    await asyncio.wait_for(process.wait(), 20)
                except TimeoutError:
                    process.kill()
                    await process.wait()

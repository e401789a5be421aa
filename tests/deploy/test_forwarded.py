"""Client addresses behind a reverse proxy: X-Forwarded-For is believed only from it."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.deploy.running import running


def access_clients(log: Path) -> list[str | None]:
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    return [
        e.get("client")
        for e in entries
        if e["logger"] == "omnibot.access" and e.get("route") == "/api/webchat/sessions"
    ]


async def client_seen(tmp_path: Path, forwarded_allow_ips: str) -> str | None:
    """Run `omnibot run` trusting FORWARDED_ALLOW_IPS; which client address does it log for
    a request from 127.0.0.1 that claims to forward 203.0.113.7?"""
    log = tmp_path / f"server-{forwarded_allow_ips}.log"
    env = {
        **os.environ,
        "OMNIBOT_DATA_DIR": str(tmp_path / "data"),
        "NLU_BACKEND": "keywords",
        "LOG_FORMAT": "json",
        "FORWARDED_ALLOW_IPS": forwarded_allow_ips,
    }
    async with running(env, log) as http:
        r = await http.post("/api/webchat/sessions", headers={"X-Forwarded-For": "203.0.113.7"})
        assert r.status_code == 200
    clients = access_clients(log)
    assert len(clients) == 1, log.read_text()[-2000:]
    return clients[0]


async def test_the_proxy_s_forwarded_address_is_believed_and_nobody_else_s(
    tmp_path: Path,
) -> None:
    # The request comes from 127.0.0.1: as the trusted proxy, its header names the client.
    assert await client_seen(tmp_path, "127.0.0.1") == "203.0.113.7"
    # The proxy is elsewhere: a client cannot pick its own address with the header.
    assert await client_seen(tmp_path, "10.1.2.3") == "127.0.0.1"

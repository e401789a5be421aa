"""Greedy and slow clients: body limits before parsing, stalled bodies and headers, big frames."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import websockets

from tests.conftest import LiveServer, make_settings, running_app

CHUNK = b" " * 65_536


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(tmp_path, max_body_bytes=100_000, http_body_timeout_seconds=0.5)
    async with running_app(settings) as (_app, http):
        yield http


async def test_a_big_body_is_refused_before_it_is_read_in_full(
    client: httpx.AsyncClient,
) -> None:
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"text": "'
        for _ in range(1_000):  # 65 MB if anyone read it all
            sent += 1
            yield CHUNK

    for path in ("/api/webchat/messages", "/api/nlu/parse", "/channels/sms/twilio"):
        sent = 0
        r = await client.post(path, content=body(), headers={"Content-Type": "application/json"})
        assert r.status_code in (413, 404), (path, r.status_code)  # 404: SMS not configured
        if r.status_code == 413:
            assert sent <= 3  # refused while arriving, never parsed
            assert_refused_as_documented(r)
    # A declared length over the limit is refused without reading a byte.
    sent = 0
    r = await client.post(
        "/api/auth/token",
        content=body(),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Content-Length": "70000000",
        },
    )
    assert r.status_code == 413 and sent == 0
    assert_refused_as_documented(r)


def assert_refused_as_documented(r: httpx.Response) -> None:
    """413 in the one error form every refusal has, with the headers every answer has."""
    assert r.status_code == 413
    assert r.json()["detail"] == "request body too large: at most 100,000 bytes"
    assert r.headers["x-content-type-options"] == "nosniff" and r.headers["x-request-id"]


async def test_a_form_over_the_limit_is_refused(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/auth/token", data={"username": "a" * 200_000, "password": "x"})
    assert_refused_as_documented(r)
    emoji = {"session_token": "t", "text": "😀" * 100_000, "client_message_id": "a"}
    assert_refused_as_documented(await client.post("/api/webchat/messages", json=emoji))


async def test_a_stalled_body_gets_408(client: httpx.AsyncClient) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b'{"text": '
        await asyncio.sleep(3)
        yield b'"hi"}'

    r = await client.post(
        "/api/nlu/parse", content=body(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 408


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[LiveServer]:
    settings = make_settings(
        tmp_path,
        http_header_timeout_seconds=1.0,
        ws_max_frame_bytes=4096,
        http_max_header_bytes=32_768,
    )
    server = LiveServer(settings)
    server.start()
    yield server
    server.stop()


def closed_by_server(sock: socket.socket) -> bool:
    """Read until the server closes the connection (True) or 20 s pass (False)."""
    sock.settimeout(20)
    try:
        while chunk := sock.recv(4096):
            if b"HTTP/1.1 200" in chunk:
                continue
        return True
    except TimeoutError:
        return False


def test_slow_request_headers_are_cut_off(strict_server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # never finishes its headers
        assert closed_by_server(sock)
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        assert closed_by_server(sock)  # opens and says nothing
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        # A kept-alive connection that then starts its next request slowly.
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(20)
        assert b"200 OK" in sock.recv(4096)
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")
        assert closed_by_server(sock)


def answer_to(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    sock.settimeout(20)
    received = b""
    with contextlib.suppress(ConnectionResetError):
        while chunk := sock.recv(65_536):
            received += chunk
    return received


def test_endless_request_headers_are_refused(strict_server: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):
            for _ in range(200):  # 1.6 MB of headers, if anyone kept them
                sock.sendall(b"X-Pad: " + b"a" * 8_000 + b"\r\n")
        answer = answer_to(sock)
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1]) == {
        "detail": "request headers too large: at most 32768 bytes"
    }
    # Headers within the limit, and a body far over it (a body is no header), pass.
    body = json.dumps({"language": "pl", "padding": "x" * 200_000}).encode()
    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        sock.sendall(
            b"POST /api/webchat/sessions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            b"Cookie: " + b"c" * 20_000 + b"\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body
        )
        assert answer_to(sock).startswith(b"HTTP/1.1 200 ")


@pytest.mark.skipif(sys.platform == "win32", reason="uvloop has no Windows build")
def test_the_server_runs_on_uvloop_and_httptools(strict_server: LiveServer) -> None:
    import uvloop
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    with socket.create_connection(("127.0.0.1", strict_server.port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        sock.settimeout(20)
        assert b"200 OK" in sock.recv(4096)
        # The kept-alive connection is served by the fast parser, on the fast loop.
        connections = list(strict_server.server.server_state.connections)
        assert connections and all(isinstance(c, HttpToolsProtocol) for c in connections)
        assert all(isinstance(s, uvloop.loop.Server) for s in strict_server.server.servers)


async def test_sockets_outlive_the_header_deadline_and_big_frames_close_them(
    strict_server: LiveServer,
) -> None:
    ws_url = strict_server.url.replace("http", "ws") + "/ws/webchat"
    async with httpx.AsyncClient(base_url=strict_server.url) as http:
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
    async with websockets.connect(f"{ws_url}?token={token}") as ws:
        await asyncio.sleep(1.5)  # past the header deadline: an open socket is not "slow"
        await ws.send(json.dumps({"type": "message", "text": "menu", "client_message_id": "a"}))
        frame = json.loads(await asyncio.wait_for(ws.recv(), 20))
        assert frame["type"] in ("message", "typing")
        await ws.send(json.dumps({"type": "message", "text": "x" * 5000, "client_message_id": "b"}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            async with asyncio.timeout(20):
                while True:
                    await ws.recv()
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def open_sockets(http: httpx.AsyncClient) -> float:
    """The server's gauge of open web chat sockets (the process's: other tests' count too)."""
    for line in (await http.get("/metrics")).text.splitlines():
        if line.startswith('omnibot_websockets_open{kind="webchat"}'):
            return float(line.split()[-1])
    return 0.0


async def server_sees_open_sockets(http: httpx.AsyncClient, count: float) -> None:
    """Until the server has let go of the sockets closed (its gauge says `count` open)."""
    async with asyncio.timeout(20):
        while await open_sockets(http) != count:
            await asyncio.sleep(0.05)


async def test_one_address_cannot_hold_every_socket(tmp_path: Path) -> None:
    server = LiveServer(make_settings(tmp_path, ws_connections_per_ip=3))
    server.start()
    try:
        ws_url = server.url.replace("http", "ws") + "/ws/webchat"
        http = httpx.AsyncClient(base_url=server.url)
        token = (await http.post("/api/webchat/sessions")).json()["session_token"]
        before = await open_sockets(http)
        url = f"{ws_url}?token={token}"
        held = [await websockets.connect(url) for _ in range(3)]
        with pytest.raises(websockets.InvalidStatus) as refused:
            await websockets.connect(url)  # refused before it opens: the widget backs off
        assert refused.value.response.status_code == 403
        # Another customer (another address, as the trusted proxy reports it) still gets in.
        other = {"X-Forwarded-For": "203.0.113.9"}
        async with websockets.connect(url, additional_headers=other) as ws:
            await ws.send(json.dumps({"type": "message", "text": "menu", "client_message_id": "o"}))
            assert json.loads(await asyncio.wait_for(ws.recv(), 20))["type"] in (
                "message",
                "typing",
            )
        # The sockets held are served as before, and closing one makes room again.
        await held[0].send(
            json.dumps({"type": "message", "text": "menu", "client_message_id": "a"})
        )
        assert json.loads(await asyncio.wait_for(held[0].recv(), 20))["type"] in (
            "message",
            "typing",
        )
        await held.pop().close()
        await server_sees_open_sockets(http, before + 2)
        held.append(await websockets.connect(url))
        frame = json.loads(await asyncio.wait_for(held[-1].recv(), 20))
        assert frame["type"] != "error"
        for ws in held:
            await ws.close()
        await http.aclose()
    finally:
        server.stop()

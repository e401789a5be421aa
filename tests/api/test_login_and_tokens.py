"""Staff login throttling, argon2 off the event loop, and which staff tokens are refused."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

import bot.api.auth
import bot.auth
from bot.auth import TOKEN_AUDIENCE, _staff_key, create_user, disable_user, set_password
from bot.store.models import utcnow
from tests.conftest import make_settings, running_app

PASSWORD = "correct horse"


@pytest.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    settings = make_settings(
        tmp_path,
        login_attempts_per_account=5,
        login_attempts_per_ip=12,
        login_failures_per_account=20,
    )
    async with running_app(settings) as (app, client):
        async with app.state.core.sessions() as s:  # type: ignore[attr-defined]
            for email in ("ala@shop.pl", "bob@shop.pl"):
                await create_user(s, email, PASSWORD, "agent")
        yield app, client


async def login(client: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/token", data={"username": email, "password": password})


async def test_an_account_locks_after_repeated_wrong_passwords(env: Any) -> None:
    _app, client = env
    for _ in range(4):
        assert (await login(client, "ala@shop.pl", "guess")).status_code == 401
    # A success clears the account's count: its owner is not locked out by old typos.
    assert (await login(client, "ala@shop.pl", PASSWORD)).status_code == 200
    for _ in range(5):
        assert (await login(client, "ALA@shop.pl", "guess")).status_code == 401
    locked = await login(client, "ala@shop.pl", PASSWORD)
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    assert "too many" in locked.json()["detail"]
    # Another account from the same address still logs in.
    assert (await login(client, "bob@shop.pl", PASSWORD)).status_code == 200


async def test_one_address_trying_many_accounts_is_throttled(env: Any) -> None:
    _app, client = env
    codes = [(await login(client, f"user{i}@shop.pl", "guess")).status_code for i in range(12)]
    assert codes == [401] * 12
    assert (await login(client, "bob@shop.pl", PASSWORD)).status_code == 429


def from_address(app: Any, address: str) -> httpx.AsyncClient:
    """A client of its own (own cookies) at another address."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def test_a_stranger_cannot_lock_the_owner_out(env: Any) -> None:
    app, _client = env
    async with from_address(app, "203.0.113.7") as attacker:
        for _ in range(5):
            assert (await login(attacker, "ala@shop.pl", "guess")).status_code == 401
        # The attacker's address is locked out of the account, even with the right password.
        assert (await login(attacker, "ala@shop.pl", PASSWORD)).status_code == 429
    async with from_address(app, "198.51.100.20") as owner:
        r = await login(owner, "ala@shop.pl", PASSWORD)
        assert r.status_code == 200
        assert (await owner.get("/api/auth/me", headers=bearer(r.json()["access_token"]))).json()[
            "email"
        ] == "ala@shop.pl"


async def test_many_addresses_guessing_leave_the_owners_device_working(env: Any) -> None:
    app, _client = env
    async with from_address(app, "198.51.100.20") as owner:
        # The owner logged in from this laptop before (it keeps the account's device cookie).
        assert (await login(owner, "ala@shop.pl", PASSWORD)).status_code == 200
        # A botnet: 20 failures from 10 addresses, each within its own per-address budget.
        for n in range(10):
            async with from_address(app, f"203.0.113.{n}") as bot_client:
                for _ in range(2):
                    assert (await login(bot_client, "ala@shop.pl", "guess")).status_code == 401
        # Now unknown clients are refused for this account wherever they come from, even with
        # the right password (the botnet might have guessed it); other accounts are untouched.
        async with from_address(app, "192.0.2.99") as stranger:
            assert (await login(stranger, "ala@shop.pl", PASSWORD)).status_code == 429
            assert (await login(stranger, "bob@shop.pl", PASSWORD)).status_code == 200
        # The owner's laptop still gets in, also from a new address (another network) ...
        assert (await login(owner, "ala@shop.pl", PASSWORD)).status_code == 200
        async with from_address(app, "192.0.2.50") as moved:
            moved.cookies = owner.cookies
            assert (await login(moved, "ala@shop.pl", PASSWORD)).status_code == 200
            # ... and its mark is for ala only: to bob's account it is a stranger.
            for _ in range(5):
                assert (await login(moved, "bob@shop.pl", "guess")).status_code == 401
            assert (await login(moved, "bob@shop.pl", PASSWORD)).status_code == 429


async def test_a_known_device_still_has_a_budget(env: Any) -> None:
    app, _client = env
    async with from_address(app, "198.51.100.20") as device:
        assert (await login(device, "ala@shop.pl", PASSWORD)).status_code == 200
        for _ in range(5):
            assert (await login(device, "ala@shop.pl", "guess")).status_code == 401
        assert (await login(device, "ala@shop.pl", PASSWORD)).status_code == 429
    # A forged mark is no mark: the request is budgeted as a stranger's from that address.
    async with from_address(app, "198.51.100.20") as forger:
        name = bot.api.auth.device_cookie_name("ala@shop.pl")
        forged = {"Cookie": f"{name}=eyJhbGciOiJIUzI1NiJ9.e30.forged"}
        form = {"username": "ala@shop.pl", "password": PASSWORD}
        r = await forger.post("/api/auth/token", data=form, headers=forged)
        assert r.status_code == 200


async def test_unknown_e_mails_cost_one_verification_off_the_event_loop(
    env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app, client = env
    calls: list[tuple[str, str]] = []
    real_verify, real_hash = bot.auth.verify_password, bot.auth.hash_password

    def verify(password_hash: str, password: str) -> bool:
        calls.append(("verify", threading.current_thread().name))
        return real_verify(password_hash, password)

    def hash_(password: str) -> str:
        calls.append(("hash", threading.current_thread().name))
        return real_hash(password)

    monkeypatch.setattr(bot.auth, "verify_password", verify)
    monkeypatch.setattr(bot.auth, "hash_password", hash_)
    loop_thread = threading.current_thread().name
    assert (await login(client, "nobody@shop.pl", PASSWORD)).status_code == 401
    unknown = [kind for kind, _ in calls]
    calls.clear()
    assert (await login(client, "ala@shop.pl", "wrong password")).status_code == 401
    known = [kind for kind, _ in calls]
    assert unknown == known == ["verify"]  # the same work whether the account exists or not
    assert (await login(client, "ala@shop.pl", PASSWORD)).status_code == 200
    assert all(thread != loop_thread for _, thread in calls)


def forge(app: Any, **claims: Any) -> str:
    now = int(utcnow().timestamp())
    base = {"aud": TOKEN_AUDIENCE, "iat": now, "exp": now + 600, "role": "admin", "sub": "1"}
    base.update(claims)
    body = {k: v for k, v in base.items() if v is not None}
    return jwt.encode(body, _staff_key(app.state.core.settings.resolved_secret_key()), "HS256")


async def test_signed_tokens_without_exp_or_with_a_bad_subject_are_refused(env: Any) -> None:
    app, client = env
    r = await login(client, "ala@shop.pl", PASSWORD)
    good = r.json()["access_token"]
    stamp = jwt.decode(good, options={"verify_signature": False})["pw"]
    assert (await client.get("/api/auth/me", headers=bearer(good))).status_code == 200
    for token in [
        forge(app, pw=stamp, exp=None),  # never expires
        forge(app, pw=stamp, sub=None),
        forge(app, pw=stamp, sub="admin"),
        forge(app, pw=stamp, sub="1e3"),
        forge(app, pw=stamp, sub=1),
        forge(app, pw=stamp, sub="99999999999999999999999"),
        forge(app, sub="1"),  # no password stamp
        forge(app, pw=stamp, exp=int(utcnow().timestamp()) - 5),
    ]:
        r = await client.get("/api/auth/me", headers=bearer(token))
        assert r.status_code == 401, (jwt.decode(token, options={"verify_signature": False}), r)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_a_password_change_and_disabling_revoke_tokens(env: Any) -> None:
    app, client = env
    core = app.state.core
    ala = bearer((await login(client, "ala@shop.pl", PASSWORD)).json()["access_token"])
    bob = bearer((await login(client, "bob@shop.pl", PASSWORD)).json()["access_token"])
    async with core.sessions() as s:
        await set_password(s, "ala@shop.pl", "a new secret")
    r = await client.get("/api/agent/conversations", headers=ala)
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    assert (await login(client, "ala@shop.pl", "a new secret")).status_code == 200

    assert (await client.get("/api/agent/conversations", headers=bob)).status_code == 200
    async with core.sessions() as s:
        await disable_user(s, "bob@shop.pl")
    assert (await client.get("/api/agent/conversations", headers=bob)).status_code == 401
    assert (await login(client, "bob@shop.pl", PASSWORD)).status_code == 401


def test_the_agent_socket_refuses_a_revoked_token(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    from bot.app import create_app

    with TestClient(create_app(settings)) as client:
        core = client.app.state.core  # type: ignore[attr-defined]

        async def add() -> None:
            async with core.sessions() as s:
                await create_user(s, "ala@shop.pl", PASSWORD, "agent")

        client.portal.call(add)  # type: ignore[union-attr]
        r = client.post("/api/auth/token", data={"username": "ala@shop.pl", "password": PASSWORD})
        token = r.json()["access_token"]

        async def change() -> None:
            async with core.sessions() as s:
                await set_password(s, "ala@shop.pl", "another secret")

        client.portal.call(change)  # type: ignore[union-attr]
        with client.websocket_connect(f"/ws/agent?token={token}") as ws:
            assert ws.receive_json() == {
                "type": "error",
                "error": "login required",
                "code": "login_required",
            }


def test_tokens_issued_for_the_past_are_refused() -> None:
    user = type("U", (), {"id": 1, "role": "admin", "password_hash": "h"})()
    token = bot.auth.issue_token(user, "k", timedelta(seconds=-5))  # type: ignore[arg-type]
    with pytest.raises(bot.auth.AuthError, match="expired"):
        bot.auth.read_token(token, "k")


async def test_the_password_hash_cost_is_a_setting_and_older_hashes_still_log_in(
    tmp_path: Path,
) -> None:
    from bot.settings import Settings

    defaults = Settings.model_fields
    production = make_settings(
        tmp_path,
        password_hash_time_cost=defaults["password_hash_time_cost"].default,
        password_hash_memory_kib=defaults["password_hash_memory_kib"].default,
        password_hash_parallelism=defaults["password_hash_parallelism"].default,
    )
    async with running_app(production) as (app, _client):
        async with app.state.core.sessions() as s:  # type: ignore[attr-defined]
            ala = await create_user(s, "ala@shop.pl", PASSWORD, "agent")
    assert ala.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # argon2-cffi's

    cheaper = make_settings(
        tmp_path,
        password_hash_time_cost=2,
        password_hash_memory_kib=19_456,
        password_hash_parallelism=1,
    )
    async with running_app(cheaper) as (app, client):
        assert (await login(client, "ala@shop.pl", PASSWORD)).status_code == 200
        assert (await login(client, "ala@shop.pl", "wrong password")).status_code == 401
        async with app.state.core.sessions() as s:  # type: ignore[attr-defined]
            bob = await create_user(s, "bob@shop.pl", PASSWORD, "agent")
        assert bob.password_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
        assert (await login(client, "bob@shop.pl", PASSWORD)).status_code == 200

    with pytest.raises(ValueError, match="PASSWORD_HASH_MEMORY_KIB"):
        make_settings(tmp_path, password_hash_memory_kib=16, password_hash_parallelism=4)

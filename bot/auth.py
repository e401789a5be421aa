"""Staff users (kitchen, agents, operators, admins): argon2 password hashes and bearer tokens."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.refusals import Refusal
from bot.settings import Settings
from bot.store.models import User, utcnow

ROLES = ("kitchen", "agent", "operator", "admin")
# Who may do what: each role includes the ones before it. The kitchen sees and moves
# orders and nothing else (no customers' conversations, no content).
ROLE_RANK = {"kitchen": 1, "agent": 2, "operator": 3, "admin": 4}
TOKEN_AUDIENCE = "omnibot-staff"
_hasher = PasswordHasher()  # argon2-cffi's defaults (Settings' too) until `use_hash_settings`
# argon2 takes ~100 ms of CPU by design: it runs in worker threads (it releases the GIL), at
# most one per spare core, so logins (even a flood of them) never stall the event loop.
_hashing = ThreadPoolExecutor(max(1, (os.cpu_count() or 2) - 1), thread_name_prefix="argon2")


def use_hash_settings(settings: Settings) -> None:
    """New password hashes of this process take the PASSWORD_HASH_* settings' cost."""
    global _hasher
    wanted = (
        settings.password_hash_time_cost,
        settings.password_hash_memory_kib,
        settings.password_hash_parallelism,
    )
    if wanted != (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism):
        _hasher = PasswordHasher(time_cost=wanted[0], memory_cost=wanted[1], parallelism=wanted[2])


@functools.cache
def _dummy_hash(parameters: tuple[int, int, int]) -> str:
    """Checked against when the e-mail is unknown: that path costs one verification too,
    of the cost a real user's (new) hash has."""
    time_cost, memory_cost, parallelism = parameters
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    return hasher.hash("omnibot: no such user")


class AuthError(Refusal):
    """Wrong credentials, or a token that is forged, expired or of a removed user."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    return await asyncio.get_running_loop().run_in_executor(_hashing, hash_password, password)


async def verify_password_async(password_hash: str, password: str) -> bool:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_hashing, verify_password, password_hash, password)


def role_allows(role: str, needed: str) -> bool:
    return ROLE_RANK.get(role, 0) >= ROLE_RANK[needed]


async def create_user(session: AsyncSession, email: str, password: str, role: str) -> User:
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    email = email.strip().lower()
    if not email or "@" not in email:
        raise ValueError("a valid e-mail address is required")
    password_hash = await hash_password_async(password)
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is not None:
        # A new hash (new salt) also revokes every token issued under the old one.
        existing.password_hash = password_hash
        existing.role = role
        existing.active = True
        await session.commit()
        return existing
    user = User(email=email, password_hash=password_hash, role=role)
    session.add(user)
    await session.commit()
    return user


async def _user_by_email(session: AsyncSession, email: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise ValueError(f"no staff user {email.strip().lower()}")
    return user


async def set_password(session: AsyncSession, email: str, password: str) -> User:
    """Change a password; tokens issued before stop working at once."""
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    user = await _user_by_email(session, email)
    user.password_hash = await hash_password_async(password)
    await session.commit()
    return user


async def disable_user(session: AsyncSession, email: str) -> User:
    """Refuse this user's logins and every token they hold (`users add` enables again)."""
    user = await _user_by_email(session, email)
    user.active = False
    await session.commit()
    return user


async def _dummy_hash_async() -> str:
    parameters = (_hasher.time_cost, _hasher.memory_cost, _hasher.parallelism)
    return await asyncio.get_running_loop().run_in_executor(_hashing, _dummy_hash, parameters)


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        # One verification, as for a real user, so timing does not tell which e-mails exist.
        await verify_password_async(await _dummy_hash_async(), password)
        raise AuthError("wrong e-mail or password", "wrong_credentials")
    if not await verify_password_async(user.password_hash, password):
        raise AuthError("wrong e-mail or password", "wrong_credentials")
    return user


async def count_admins(session: AsyncSession) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
        or 0
    )


def _staff_key(secret: str) -> str:
    # A key of its own for staff tokens, derived from SECRET_KEY, always 256 bits.
    return hashlib.sha256(f"omnibot.staff-token:{secret}".encode()).hexdigest()


LOGIN_DEVICE_AUDIENCE = "omnibot-login-device"


def _device_key(secret: str) -> str:
    return hashlib.sha256(f"omnibot.login-device:{secret}".encode()).hexdigest()


def issue_device_token(email: str, secret: str, ttl: timedelta) -> str:
    """A "known device" mark for one account, given at a successful login (OWASP's device
    cookies): later attempts carrying it are throttled per device, so strangers who lock the
    account for unknown clients do not lock its owner out."""
    now = utcnow()
    claims = {
        "sub": email,
        "dev": secrets.token_urlsafe(12),
        "aud": LOGIN_DEVICE_AUDIENCE,
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, _device_key(secret), algorithm="HS256")


def read_device_token(token: str | None, email: str, secret: str) -> str | None:
    """The device id of a valid mark for `email`, or None."""
    if not token or len(token) > 1000:
        return None
    try:
        claims = jwt.decode(
            token,
            _device_key(secret),
            algorithms=["HS256"],
            audience=LOGIN_DEVICE_AUDIENCE,
            options={"require": ["exp", "sub", "dev", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("sub") != email or not isinstance(claims.get("dev"), str):
        return None
    return str(claims["dev"])


def password_stamp(password_hash: str) -> str:
    """A short fingerprint of the password hash a token was issued under: a new password
    (or `users add` again) gives a new hash, so older tokens stop matching."""
    return hashlib.sha256(f"omnibot.pw:{password_hash}".encode()).hexdigest()[:16]


def issue_token(user: User, secret: str, ttl: timedelta) -> str:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "pw": password_stamp(user.password_hash),
        "aud": TOKEN_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, _staff_key(secret), algorithm="HS256")


def read_token(token: str, secret: str) -> dict[str, Any]:
    """The claims of a valid staff token; `exp`, `sub` (a user id) and `pw` are required."""
    try:
        claims = dict(
            jwt.decode(
                token,
                _staff_key(secret),
                algorithms=["HS256"],
                audience=TOKEN_AUDIENCE,
                options={"require": ["exp", "iat", "sub", "aud", "pw"]},
            )
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("token expired; log in again") from exc
    except jwt.PyJWTError as exc:
        raise AuthError("invalid token") from exc
    sub = claims["sub"]
    if not (isinstance(sub, str) and sub.isascii() and sub.isdigit() and 0 < len(sub) < 19):
        raise AuthError("invalid token")
    return claims


async def staff_from_token(session: AsyncSession, token: str, secret: str) -> User:
    """The active user a token was issued to, under their current password."""
    claims = read_token(token, secret)
    user = await session.get(User, int(claims["sub"]))
    if user is None or not user.active:
        raise AuthError("user no longer exists or is disabled")
    stamp = claims["pw"]
    if not isinstance(stamp, str) or not hmac.compare_digest(
        stamp, password_stamp(user.password_hash)
    ):
        raise AuthError("token revoked (password changed); log in again")
    return user

"""Staff users (kitchen, agents, operators, admins): argon2 password hashes and bearer tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.models import User, utcnow

ROLES = ("kitchen", "agent", "operator", "admin")
# Who may do what: each role includes the ones before it. The kitchen sees and moves
# orders and nothing else (no customers' conversations, no content).
ROLE_RANK = {"kitchen": 1, "agent": 2, "operator": 3, "admin": 4}
TOKEN_AUDIENCE = "omnibot-staff"
_hasher = PasswordHasher()


class AuthError(Exception):
    """Wrong credentials, or a token that is forged, expired or of a removed user."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


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
    existing = await session.scalar(select(User).where(User.email == email))
    if existing is not None:
        existing.password_hash = hash_password(password)
        existing.role = role
        existing.active = True
        await session.commit()
        return existing
    user = User(email=email, password_hash=hash_password(password), role=role)
    session.add(user)
    await session.commit()
    return user


async def authenticate(session: AsyncSession, email: str, password: str) -> User:
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or not user.active:
        # Same work as a real check, so timing does not tell which e-mails exist.
        verify_password(hash_password("x" * 12), password)
        raise AuthError("wrong e-mail or password")
    if not verify_password(user.password_hash, password):
        raise AuthError("wrong e-mail or password")
    return user


async def count_admins(session: AsyncSession) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(User).where(User.role == "admin"))
        or 0
    )


def _staff_key(secret: str) -> str:
    # A key of its own for staff tokens, derived from SECRET_KEY, always 256 bits.
    return hashlib.sha256(f"omnibot.staff-token:{secret}".encode()).hexdigest()


def issue_token(user: User, secret: str, ttl: timedelta) -> str:
    now = utcnow()
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "aud": TOKEN_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, _staff_key(secret), algorithm="HS256")


def read_token(token: str, secret: str) -> dict[str, Any]:
    try:
        return dict(
            jwt.decode(token, _staff_key(secret), algorithms=["HS256"], audience=TOKEN_AUDIENCE)
        )
    except jwt.ExpiredSignatureError as exc:
        raise AuthError("token expired; log in again") from exc
    except jwt.PyJWTError as exc:
        raise AuthError("invalid token") from exc

"""POST /api/auth/token (OAuth2 password form) and GET /api/auth/me."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from bot.api import schemas
from bot.api.deps import CoreDep, LimiterDep, StaffUser, client_address
from bot.api.schemas import BODY, errors
from bot.auth import (
    AuthError,
    authenticate,
    issue_device_token,
    issue_token,
    read_device_token,
)
from bot.ratelimit import Budget

router = schemas.Router(tags=["auth"])


DEVICE_COOKIE_DAYS = 90
LOGIN_PATH = "/api/auth/token"


def device_cookie_name(email: str) -> str:
    """One cookie per account, so staff sharing a tablet each keep their mark."""
    return "omnibot_device_" + hashlib.sha256(email.encode()).hexdigest()[:16]


@router.post(LOGIN_PATH, response_model=schemas.Token, responses=errors(401, 429, *BODY))
async def token(
    core: CoreDep,
    limiter: LimiterDep,
    request: Request,
    response: Response,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, Any]:
    """Log in with e-mail (as username) and password; returns a bearer token.

    Budgets, all checked before any password is: the client address's
    (`LOGIN_ATTEMPTS_PER_IP`, every attempt), the account's from that address
    (`LOGIN_ATTEMPTS_PER_ACCOUNT`, cleared by a success) and the account's failures from
    clients it does not know (`LOGIN_FAILURES_PER_ACCOUNT`, every address together). A
    successful login leaves a device cookie for the account; attempts carrying it are
    budgeted per device instead, so nobody elsewhere can lock the account's owner out.
    Spent → 429 with Retry-After.
    """
    settings = core.settings
    secret = settings.resolved_secret_key()
    window = settings.login_lockout_minutes * 60
    per_address = Budget("login-address", settings.login_attempts_per_ip, window)
    per_account_address = Budget("login-account", settings.login_attempts_per_account, window)
    per_device = Budget("login-device", settings.login_attempts_per_account, window)
    account_failures = Budget("login-failures", settings.login_failures_per_account, window)
    email = form.username.strip().lower()
    address = client_address(request)
    device = read_device_token(request.cookies.get(device_cookie_name(email)), email, secret)
    message, code = "too many login attempts; try again later", "too_many_logins"
    if device is not None:
        # A device this account logged in from: its own budget, whatever strangers do.
        own: tuple[Budget, tuple[str, ...]] = (per_device, (email, device))
        await limiter.spend(own[0], *own[1], message=message, code=code)
    else:
        await limiter.spend(per_address, address, message=message, code=code)
        await limiter.check(account_failures, email, message=message, code=code)
        own = (per_account_address, (email, address))
        await limiter.spend(own[0], *own[1], message=message, code=code)
    async with core.sessions() as session:
        try:
            user = await authenticate(session, email, form.password)
        except AuthError as exc:
            if device is None:
                await limiter.hit(account_failures, email)
            raise schemas.Refused(401, exc, headers={"WWW-Authenticate": "Bearer"}) from exc
    await limiter.clear(own[0], *own[1])
    days = timedelta(days=DEVICE_COOKIE_DAYS)
    response.set_cookie(
        device_cookie_name(email),
        issue_device_token(email, secret, days),
        max_age=int(days.total_seconds()),
        path=LOGIN_PATH,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    ttl = timedelta(minutes=settings.staff_token_minutes)
    return {
        "access_token": issue_token(user, secret, ttl),
        "token_type": "bearer",
        "expires_in": int(ttl.total_seconds()),
        "role": user.role,
    }


@router.get("/api/auth/me", response_model=schemas.Me, responses=errors(401))
async def me(user: StaffUser) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "role": user.role}

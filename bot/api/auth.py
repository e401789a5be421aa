"""POST /api/auth/token (OAuth2 password form) and GET /api/auth/me."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.security import OAuth2PasswordRequestForm

from bot.api.deps import CoreDep, LimiterDep, StaffUser, client_address
from bot.auth import AuthError, authenticate, issue_token
from bot.ratelimit import Budget

router = APIRouter(tags=["auth"])


@router.post("/api/auth/token")
async def token(
    core: CoreDep,
    limiter: LimiterDep,
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> dict[str, Any]:
    """Log in with e-mail (as username) and password; returns a bearer token.

    Every attempt spends from two budgets: the account's (a lockout, cleared by a successful
    login) and the client address's; either spent → 429 with Retry-After, before any
    password is checked.
    """
    settings = core.settings
    window = settings.login_lockout_minutes * 60
    per_account = Budget("login-account", settings.login_attempts_per_account, window)
    per_address = Budget("login-address", settings.login_attempts_per_ip, window)
    email = form.username.strip().lower()
    message = "too many login attempts; try again later"
    await limiter.spend(per_address, client_address(request), message=message)
    await limiter.spend(per_account, email, message=message)
    async with core.sessions() as session:
        try:
            user = await authenticate(session, email, form.password)
        except AuthError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
    await limiter.clear(per_account, email)
    ttl = timedelta(minutes=core.settings.staff_token_minutes)
    return {
        "access_token": issue_token(user, core.settings.resolved_secret_key(), ttl),
        "token_type": "bearer",
        "expires_in": int(ttl.total_seconds()),
        "role": user.role,
    }


@router.get("/api/auth/me")
async def me(user: StaffUser) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "role": user.role}

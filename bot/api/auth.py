"""POST /api/auth/token (OAuth2 password form) and GET /api/auth/me."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.security import OAuth2PasswordRequestForm

from bot.api.deps import CoreDep, StaffUser
from bot.auth import AuthError, authenticate, issue_token

router = APIRouter(tags=["auth"])


@router.post("/api/auth/token")
async def token(
    core: CoreDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> dict[str, Any]:
    """Log in with e-mail (as username) and password; returns a bearer token."""
    async with core.sessions() as session:
        try:
            user = await authenticate(session, form.username, form.password)
        except AuthError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc
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

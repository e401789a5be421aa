"""Dependencies shared by the API routers: the core, the session, the signed-in staff user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.requests import HTTPConnection

from bot.api.schemas import Refused
from bot.auth import AuthError, role_allows, staff_from_token
from bot.core import Core
from bot.domain.refusals import Refusal
from bot.presence import AgentPresence
from bot.ratelimit import Limiter
from bot.store.models import MAX_ROW_ID, User

RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID)]

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)


def get_core(request: Request) -> Core:
    core: Core = request.app.state.core
    return core


CoreDep = Annotated[Core, Depends(get_core)]


def get_presence(request: Request) -> AgentPresence:
    presence: AgentPresence = request.app.state.presence
    return presence


PresenceDep = Annotated[AgentPresence, Depends(get_presence)]


def get_limiter(request: Request) -> Limiter:
    limiter: Limiter = request.app.state.limiter
    return limiter


LimiterDep = Annotated[Limiter, Depends(get_limiter)]


def client_address(connection: HTTPConnection) -> str:
    """The client's address; behind a proxy listed in FORWARDED_ALLOW_IPS, the one it reports."""
    return connection.client.host if connection.client else "unknown"


async def current_user(core: CoreDep, token: Annotated[str | None, Depends(oauth2)]) -> User:
    """The staff user behind the bearer token; 401 without a valid one."""
    if not token:
        raise HTTPException(401, "login required", headers={"WWW-Authenticate": "Bearer"})
    async with core.sessions() as session:
        try:
            return await staff_from_token(session, token, core.settings.resolved_secret_key())
        except AuthError as exc:
            raise HTTPException(401, str(exc), headers={"WWW-Authenticate": "Bearer"}) from exc


def require_role(role: str):  # type: ignore[no-untyped-def]
    async def check(user: Annotated[User, Depends(current_user)]) -> User:
        if not role_allows(user.role, role):
            needs = Refusal(f"this needs the {role} role", "role_needed", role=role)
            raise Refused(403, needs)
        return user

    return check


# Anyone on the staff, the kitchen included: the orders board and nothing else.
StaffUser = Annotated[User, Depends(require_role("kitchen"))]
AgentUser = Annotated[User, Depends(require_role("agent"))]
OperatorUser = Annotated[User, Depends(require_role("operator"))]
AdminUser = Annotated[User, Depends(require_role("admin"))]

"""Who answers the customer now: public, so the widget (or any page) can say it truthfully."""

from __future__ import annotations

from typing import Any

from bot.api import schemas
from bot.api.deps import CoreDep, PresenceDep
from bot.domain.handoff import SupportHours
from bot.store.models import utcnow

router = schemas.Router(tags=["webchat"])


@router.get("/api/support/availability", response_model=schemas.Availability)
async def availability(core: CoreDep, presence: PresenceDep) -> dict[str, Any]:
    """Whether an agent is online now, and the hours people answer in."""
    hours = SupportHours.from_settings(core.settings)
    return {
        "agents_online": await presence.agents_online(),
        "support_hours": hours.describe(),
        "timezone": core.settings.support_timezone,
        "open_now": hours.open_at(utcnow()),
    }

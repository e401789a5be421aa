"""POST /api/nlu/parse: the Rasa-compatible parse of one text."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, Request
from pydantic import BaseModel, Field

from bot.api import schemas
from bot.api.deps import LimiterDep, client_address
from bot.api.schemas import BODY, errors
from bot.domain.text import replace_lone_surrogates
from bot.ratelimit import Budget

router = schemas.Router(tags=["nlu"])


class ParseRequest(BaseModel):
    text: str
    lang: str | None = Field(default=None, pattern="^(pl|en)$")


@router.post("/api/nlu/parse", response_model=schemas.Parse, responses=errors(429, *BODY))
async def parse(body: ParseRequest, request: Request, limiter: LimiterDep) -> dict[str, Any]:
    """Open to anyone (Rasa tools call it), at `NLU_PARSE_PER_MINUTE` per client address."""
    core = request.app.state.core
    budget = Budget("nlu-parse", core.settings.nlu_parse_per_minute, 60)
    await limiter.spend(budget, client_address(request), message="too many parse requests")
    limit = core.settings.max_message_chars
    if len(body.text) > limit:
        raise HTTPException(413, f"text too long: at most {limit} characters")
    text, _ = replace_lone_surrogates(body.text)
    result: dict[str, Any] = await core.interpreter.aparse(text, body.lang)
    result = dict(result)
    result.setdefault("lang", body.lang)
    return result

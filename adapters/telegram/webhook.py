"""The webhook's gate: Telegram's secret token, and a body that is an Update."""

from __future__ import annotations

import hmac
import json
import logging

from aiogram import Bot
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError
from fastapi import HTTPException
from pydantic import ValidationError

from bot import metrics

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/channels/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1_000_000


def check_secret(expected: str | None, given: str | None) -> None:
    """403 unless `given` is the configured secret (compared in constant time)."""
    if not expected:
        log.warning("refused a Telegram webhook call: TELEGRAM_WEBHOOK_SECRET is not set")
        metrics.HTTP_ERRORS.labels("telegram_secret").inc()
        raise HTTPException(403, "the Telegram webhook is disabled: no secret is configured")
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        metrics.HTTP_ERRORS.labels("telegram_secret").inc()
        raise HTTPException(403, f"wrong or missing {SECRET_HEADER} header")


def parse_update(body: bytes, bot: Bot) -> Update | None:
    """The Update in a webhook body (400 if it is none); None for one aiogram cannot read."""
    if len(body) > MAX_UPDATE_BYTES:
        raise HTTPException(413, "update too large")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        metrics.HTTP_ERRORS.labels("telegram_update").inc()
        raise HTTPException(400, "the body is not JSON") from exc
    update_id = data.get("update_id") if isinstance(data, dict) else None
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        metrics.HTTP_ERRORS.labels("telegram_update").inc()
        raise HTTPException(400, "the body is not a Telegram Update (no update_id)")
    try:
        update = Update.model_validate(data, context={"bot": bot})
        update.event_type  # noqa: B018 (raises for a kind of update aiogram does not know)
    except (ValidationError, ValueError, TypeError, UpdateTypeLookupError) as exc:
        # Telegram resends an update until it gets a 2xx, holding back the ones after
        # it: an update of a newer Bot API than this aiogram must not block the chat.
        log.warning("ignored Telegram update %s that aiogram cannot read: %s", update_id, exc)
        return None
    return update

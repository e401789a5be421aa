"""The Telegram channel (aiogram lives only here)."""

from adapters.telegram.adapter import TelegramAdapter

__all__ = ["TelegramAdapter"]

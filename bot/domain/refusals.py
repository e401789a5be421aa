"""Refusals staff see: each has its English message (the API's `detail`) and, for the pages
that word it in their own language, a code and the values it names."""

from __future__ import annotations


class Refusal(Exception):
    """Something a caller asked for that cannot be done. `code` names the kind (the staff
    pages' words for it live in bot/web/static/staff-i18n.js), `params` its values."""

    def __init__(self, message: str, code: str | None = None, **params: str) -> None:
        super().__init__(message)
        self.code = code
        self.params = params

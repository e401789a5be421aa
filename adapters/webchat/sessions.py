"""Web chat session tokens: a random address signed with SECRET_KEY."""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class InvalidSession(Exception):
    """The token is forged, malformed or expired; the message says which."""


class SessionSigner:
    def __init__(self, secret_key: str, max_age_days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="omnibot.webchat.session")
        self._max_age = max_age_days * 86400

    def new_address(self) -> str:
        return uuid.uuid4().hex

    def sign(self, address: str) -> str:
        return self._serializer.dumps({"a": address})

    def address_of(self, token: str | None) -> str:
        if not token:
            raise InvalidSession("session token missing")
        try:
            data = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired as exc:
            raise InvalidSession("session expired; start a new session") from exc
        except BadSignature as exc:
            raise InvalidSession("invalid session token") from exc
        if not isinstance(data, dict) or not isinstance(data.get("a"), str):
            raise InvalidSession("invalid session token")
        return data["a"]

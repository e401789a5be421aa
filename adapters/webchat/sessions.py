"""Web chat session tokens: a random address signed with SECRET_KEY."""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer


class InvalidSession(Exception):
    """The token is forged, malformed or expired; the message says which."""


class SessionSigner:
    # Tokens verified lately, with when they were signed: a customer's every message carries
    # the same token, and checking its signature again costs more than the rest of the
    # request's handling here. Expiry is still checked on every use.
    REMEMBERED = 4096

    def __init__(self, secret_key: str, max_age_days: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="omnibot.webchat.session")
        self._max_age = max_age_days * 86400
        self._verified: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def new_address(self) -> str:
        return uuid.uuid4().hex

    def sign(self, address: str) -> str:
        return self._serializer.dumps({"a": address})

    def address_of(self, token: str | None) -> str:
        if not token:
            raise InvalidSession("session token missing")
        known = self._verified.get(token)
        if known is not None:
            address, signed_at = known
            if time.time() - signed_at > self._max_age:
                del self._verified[token]
                raise InvalidSession("session expired; start a new session")
            self._verified.move_to_end(token)
            return address
        try:
            data, signed = self._serializer.loads(
                token, max_age=self._max_age, return_timestamp=True
            )
        except SignatureExpired as exc:
            raise InvalidSession("session expired; start a new session") from exc
        except BadSignature as exc:
            raise InvalidSession("invalid session token") from exc
        if not isinstance(data, dict) or not isinstance(data.get("a"), str):
            raise InvalidSession("invalid session token")
        self._verified[token] = (data["a"], signed.timestamp())
        if len(self._verified) > self.REMEMBERED:
            self._verified.popitem(last=False)
        return data["a"]

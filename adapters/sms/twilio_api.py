"""Sending through the Twilio SDK's async REST client, aimed at TWILIO_API_BASE."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
from twilio.base.exceptions import TwilioException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

from bot.messages import DeliveryError

log = logging.getLogger(__name__)
# The SDK logs every request and response at INFO; keep that to debugging sessions.
http_log = logging.getLogger(f"{__name__}.http")
http_log.setLevel(logging.WARNING)

# The recipient cannot get SMS from us: retrying cannot help, the number is unreachable.
# 21610 unsubscribed (texted STOP), 21211/21217/21421 invalid number, 21612 unroutable,
# 21614 not a mobile number.
RECIPIENT_UNREACHABLE = frozenset({21211, 21217, 21421, 21610, 21612, 21614})
DEFAULT_TIMEOUT = 15.0
LOG_LOOKUP_LIMIT = 50  # latest messages to one number searched for an interrupted send


class RetryLater(Exception):
    """Twilio said when to come back (429/503 with Retry-After)."""

    def __init__(self, status: int, retry_after: float) -> None:
        super().__init__(f"Twilio answered {status}; retry after {retry_after:g}s")
        self.retry_after = retry_after


class RebasedHttpClient(AsyncTwilioHttpClient):
    """The SDK's aiohttp client with every *.twilio.com URL moved to another base URL."""

    def __init__(self, api_base: str, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout or DEFAULT_TIMEOUT, logger=http_log)
        self.api_base = urlsplit(api_base.rstrip("/"))

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        if not parts.hostname or not parts.hostname.endswith("twilio.com"):
            return url
        base = self.api_base
        return urlunsplit((base.scheme, base.netloc, base.path + parts.path, parts.query, ""))

    async def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        # The SDK's client ignores its own timeout; without one a stalled API would
        # hold a delivery forever.
        response: Response = await super().request(
            method,
            self.rebase(url),
            params=params,
            data=data,
            headers=headers,
            auth=auth,
            timeout=timeout or self.timeout,
            allow_redirects=allow_redirects,
        )
        if response.status_code in (429, 503):
            retry_after = _seconds(response.headers.get("Retry-After"))
            if retry_after is not None:
                raise RetryLater(response.status_code, retry_after)
        return response


def _seconds(value: str | None) -> float | None:
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    return seconds if seconds is not None and seconds >= 0 else None


class TwilioSender:
    """One Twilio REST client for the adapter's lifetime; sends and maps errors."""

    def __init__(self, account_sid: str, auth_token: str, from_number: str, api_base: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.from_number = from_number
        self.api_base = api_base
        self._http: RebasedHttpClient | None = None
        self._client: Client | None = None

    def client(self) -> Client:
        # aiohttp wants its session made inside the running event loop.
        if self._client is None:
            self._http = RebasedHttpClient(self.api_base)
            self._client = Client(self.account_sid, self.auth_token, http_client=self._http)
        return self._client

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
        self._http, self._client = None, None

    async def send(self, to: str, body: str) -> str:
        """Create the message; its SM… sid. Raises DeliveryError."""
        try:
            created: Any = await self.client().messages.create_async(
                to=to, from_=self.from_number, body=body
            )
        except RetryLater as exc:
            raise DeliveryError(str(exc), retry_after=exc.retry_after) from exc
        except TwilioException as exc:
            raise delivery_error(exc) from exc
        except aiohttp.ClientConnectorError as exc:  # nothing was sent
            raise DeliveryError(f"Twilio API unreachable: {exc!r}") from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            # The request may have been accepted before the answer was lost: a resend
            # could text the customer twice, so the outbox's policy decides.
            raise DeliveryError(f"no answer from Twilio: {exc!r}", uncertain=True) from exc
        return str(created.sid)

    async def sent_to(self, to: str, since: datetime) -> list[tuple[str, str]]:
        """(sid, body) of the messages Twilio created to `to` from our number since `since`
        (its log, newest first). Raises DeliveryError when Twilio cannot be asked."""
        try:
            found: list[Any] = await self.client().messages.list_async(
                to=to, from_=self.from_number, limit=LOG_LOOKUP_LIMIT
            )
        except (RetryLater, TwilioException, aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryError(f"cannot read Twilio's message log: {exc!r}") from exc
        # Twilio keeps whole seconds: a message created in the same second still counts.
        cutoff = since - timedelta(seconds=1)
        return [
            (str(m.sid), str(m.body or ""))
            for m in found
            if m.date_created is None or m.date_created >= cutoff
        ]


def delivery_error(exc: TwilioException) -> DeliveryError:
    """Twilio's answer as the outbox understands it: retry, or give up on the number."""
    status = getattr(exc, "status", None)
    code = getattr(exc, "code", None)
    text = getattr(exc, "msg", None) or getattr(exc, "detail", None) or getattr(exc, "title", "")
    message = f"Twilio {status} error {code}: {text}"
    if code in RECIPIENT_UNREACHABLE:
        return DeliveryError(message, permanent=True)
    if status is not None and 400 <= status < 500 and status != 429:
        # Our request or account is wrong (credentials, From number, region): the
        # customer is not to blame, so the number stays reachable; the outbox retries
        # with backoff until someone fixes the configuration or attempts run out.
        log.error("Twilio refused a message: %s", message)
    return DeliveryError(message)

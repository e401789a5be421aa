"""A fake Twilio REST API on 127.0.0.1 for tests, and helpers to sign inbound webhooks.

The real twilio SDK talks to it (TWILIO_API_BASE = fake.url). Usage:

    with FakeTwilio() as fake:
        settings = Settings(..., twilio_api_base=fake.url)
        ...
        await post_sms(client, "cześć", from_="+48600111222")
        [sms] = await fake.wait_for_messages(1)
        fake.fail_next(500)            # the next create answers 500, then normal again
        fake.fail_next(code=21610)     # 400 "unsubscribed recipient" (permanent)
        fake.unsubscribe("+48600111222")  # every later send to it gets 21610, like Twilio
        fake.accept_delay = 5          # each create waits 5 s before Twilio accepts it
        fake.log_available = False     # GET Messages.json (Twilio's log) answers 503
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from twilio.request_validator import RequestValidator

from adapters.sms.rendering import segments_for

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "secret"
FROM_NUMBER = "+48500000000"
PUBLIC_URL = "https://bot.example"
WEBHOOK_PATH = "/channels/sms/twilio"

# Twilio's own status and message for the error codes tests use.
ERRORS: dict[int, tuple[int, str]] = {
    20003: (401, "Authenticate"),
    20429: (429, "Too Many Requests"),
    20500: (500, "Internal Server Error"),
    20503: (503, "Service Unavailable"),
    21211: (400, "The 'To' number is not a valid phone number."),
    21602: (400, "Message body is required."),
    21603: (400, "A 'From' phone number is required."),
    21604: (400, "A 'To' phone number is required."),
    21610: (400, "Attempt to send to unsubscribed recipient"),
    21614: (400, "'To' number is not a valid mobile number"),
    21617: (400, "The concatenated message body exceeds the 1600 character limit."),
}
_DEFAULT_CODE = {400: 21211, 401: 20003, 429: 20429, 500: 20500, 503: 20503}


@dataclass(frozen=True)
class SentSms:
    """A message the fake accepted."""

    sid: str
    to: str
    from_: str
    body: str
    encoding: str
    num_segments: int
    form: dict[str, str]
    accepted_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class ApiCall:
    """Every create request, accepted or not: what was asked and what was answered."""

    to: str
    body: str
    status: int
    code: int | None
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Failure:
    status: int
    code: int
    message: str
    retry_after: float | None
    times: int


@dataclass
class _State:
    messages: list[SentSms] = field(default_factory=list)
    calls: list[ApiCall] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    unsubscribed: set[str] = field(default_factory=set)
    resources: list[dict[str, Any]] = field(default_factory=list)  # as the list API shows


def _twilio_date(moment: datetime) -> str:
    return moment.strftime("%a, %d %b %Y %H:%M:%S +0000")


class FakeTwilio:
    """POST /2010-04-01/Accounts/{sid}/Messages.json with basic auth, in a thread."""

    def __init__(self, account_sid: str = ACCOUNT_SID, auth_token: str = AUTH_TOKEN) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        # Seconds each create request waits before it is accepted (a slow provider).
        self.accept_delay = 0.0
        self.requests_received = 0  # create requests that arrived, counted before any delay
        self.log_available = True  # False: the message list API answers 503
        self._lock = threading.Lock()
        self._state = _State()
        self._socket = socket.socket()
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind(("127.0.0.1", 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            self._build_app(), log_level="warning", lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    # -- lifecycle -----------------------------------------------------------------
    def start(self) -> FakeTwilio:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake Twilio did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests control and read ---------------------------------------------
    @property
    def messages(self) -> list[SentSms]:
        with self._lock:
            return list(self._state.messages)

    @property
    def calls(self) -> list[ApiCall]:
        with self._lock:
            return list(self._state.calls)

    def messages_to(self, number: str) -> list[SentSms]:
        return [m for m in self.messages if m.to == number]

    def fail_next(
        self,
        status: int | None = None,
        *,
        code: int | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` create requests with an error, then normally again."""
        if code is None:
            code = _DEFAULT_CODE.get(status or 500, 20500)
        known_status, known_message = ERRORS.get(code, (status or 400, "Error"))
        failure = _Failure(
            status or known_status, code, message or known_message, retry_after, times
        )
        with self._lock:
            self._state.failures.append(failure)

    def unsubscribe(self, number: str) -> None:
        """Like Twilio after the number texted STOP: every later send gets 21610."""
        with self._lock:
            self._state.unsubscribed.add(number)

    def reset(self) -> None:
        with self._lock:
            self._state = _State()

    async def wait_for_messages(self, count: int, within: float = 15.0) -> list[SentSms]:
        """All accepted messages once there are at least `count`; fails after `within` s."""
        deadline = time.monotonic() + within
        while len(messages := self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} SMS at the fake, got {len(messages)}")
            await asyncio.sleep(0.02)
        return messages

    # -- the HTTP API --------------------------------------------------------------
    def _authorised(self, request: Request, account_sid: str) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return user == self.account_sid == account_sid and password == self.auth_token

    def _error(self, status: int, code: int, message: str, **headers: str) -> JSONResponse:
        content = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return JSONResponse(content, status_code=status, headers=headers or None)

    def _check(self, form: dict[str, str]) -> tuple[int, str] | None:
        """The code and message Twilio would refuse this form with, if any."""
        to, body = form.get("To", ""), form.get("Body", "")
        if not to:
            return 21604, ERRORS[21604][1]
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return 21603, ERRORS[21603][1]
        if not body and not form.get("MediaUrl"):
            return 21602, ERRORS[21602][1]
        if len(body) > 1600:
            return 21617, ERRORS[21617][1]
        if not to.startswith("+") or not to[1:].isdigit() or len(to) < 8:
            return 21211, f"The 'To' number {to} is not a valid phone number."
        if to in self._state.unsubscribed:
            return 21610, ERRORS[21610][1]
        return None

    def _create(self, account_sid: str, form: dict[str, str]) -> JSONResponse:
        to, body = form.get("To", ""), form.get("Body", "")
        with self._lock:
            failure = self._state.failures[0] if self._state.failures else None
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self._state.failures.pop(0)
                self._state.calls.append(ApiCall(to, body, failure.status, failure.code))
                headers = {}
                if failure.retry_after is not None:
                    headers["Retry-After"] = f"{failure.retry_after:g}"
                return self._error(failure.status, failure.code, failure.message, **headers)
            refused = self._check(form)
            if refused is not None:
                code, message = refused
                self._state.calls.append(ApiCall(to, body, 400, code))
                return self._error(400, code, message)
            sid = "SM" + secrets.token_hex(16)
            encoding, segments = segments_for(body)
            sent = SentSms(sid, to, form.get("From", ""), body, encoding, segments, dict(form))
            self._state.messages.append(sent)
            self._state.calls.append(ApiCall(to, body, 201, None))
        now = _twilio_date(datetime.now(UTC))
        uri = f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}"
        resource = {
            "account_sid": account_sid,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": sent.from_,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": str(segments),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{uri}/Media.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        with self._lock:
            self._state.resources.append(resource)
        return JSONResponse(status_code=201, content=resource)

    def _build_app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/2010-04-01/Accounts/{account_sid}/Messages.json")
        async def create_message(account_sid: str, request: Request) -> JSONResponse:
            if not self._authorised(request, account_sid):
                return self._error(401, 20003, ERRORS[20003][1])
            form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
            with self._lock:
                self.requests_received += 1
            if self.accept_delay:
                await asyncio.sleep(self.accept_delay)
            return self._create(account_sid, form)

        @app.get("/2010-04-01/Accounts/{account_sid}/Messages.json")
        async def list_messages(account_sid: str, request: Request) -> JSONResponse:
            """Twilio's message log, newest first, filtered by To and From like the real one."""
            if not self._authorised(request, account_sid):
                return self._error(401, 20003, ERRORS[20003][1])
            if not self.log_available:
                return self._error(503, 20503, ERRORS[20503][1])
            to, from_ = request.query_params.get("To"), request.query_params.get("From")
            with self._lock:
                found = [
                    r
                    for r in reversed(self._state.resources)
                    if (to is None or r["to"] == to) and (from_ is None or r["from"] == from_)
                ]
            path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
            return JSONResponse(
                {
                    "messages": found,
                    "page": 0,
                    "page_size": max(len(found), 50),
                    "start": 0,
                    "end": max(len(found) - 1, 0),
                    "uri": path,
                    "first_page_uri": path,
                    "next_page_uri": None,
                    "previous_page_uri": None,
                }
            )

        return app


# -- inbound webhooks, signed as Twilio signs them -----------------------------------
def twilio_signature(url: str, params: dict[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature for a POST of `params` to `url`, by the SDK's own validator."""
    return str(RequestValidator(auth_token).compute_signature(url, params))


def inbound_form(
    body: str,
    *,
    from_: str = "+48600111222",
    to: str = FROM_NUMBER,
    sid: str | None = None,
    account_sid: str = ACCOUNT_SID,
) -> dict[str, str]:
    """The form fields Twilio posts for an inbound SMS."""
    sid = sid or "SM" + secrets.token_hex(16)
    _, segments = segments_for(body)
    return {
        "ToCountry": "PL",
        "ToState": "",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "",
        "FromZip": "",
        "SmsSid": sid,
        "FromState": "",
        "SmsStatus": "received",
        "FromCity": "",
        "Body": body,
        "FromCountry": "PL",
        "To": to,
        "ToZip": "",
        "NumSegments": str(max(segments, 1)),
        "MessageSid": sid,
        "AccountSid": account_sid,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }


async def post_sms(
    client: httpx.AsyncClient,
    body: str,
    *,
    from_: str = "+48600111222",
    sid: str | None = None,
    form: dict[str, str] | None = None,
    auth_token: str = AUTH_TOKEN,
    public_url: str = PUBLIC_URL,
    signature: str | None = None,
    signed: bool = True,
) -> httpx.Response:
    """Post an inbound SMS to the app as Twilio would, signed with `auth_token`."""
    form = form if form is not None else inbound_form(body, from_=from_, sid=sid)
    headers: dict[str, Any] = {}
    if signed:
        url = public_url.rstrip("/") + WEBHOOK_PATH
        headers["X-Twilio-Signature"] = signature or twilio_signature(url, form, auth_token)
    return await client.post(WEBHOOK_PATH, data=form, headers=headers)

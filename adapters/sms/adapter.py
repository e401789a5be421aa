"""SMS through Twilio: a signed webhook in, the REST API out (through the core's outbox)."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request, Response
from prometheus_client import Counter
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from adapters.base import SHUTDOWN_DRAIN_SECONDS, ChannelAdapter
from adapters.sms.inbound import CHANNEL, inbound_from_twilio
from adapters.sms.rendering import SmsText, render_for_sms
from adapters.sms.twilio_api import TwilioSender
from bot.core import Core
from bot.messages import Capabilities, DeliveryError, OutboundMessage
from bot.ratelimit import Limiter
from bot.rendering import numbered_options
from bot.store import repo

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/channels/sms/twilio"
DEFAULT_MAX_SEGMENTS = 4

SEGMENTS_SENT = Counter(
    "omnibot_sms_segments_total", "SMS segments handed to Twilio (what is billed)", ["encoding"]
)


def _refuse(reason: str) -> HTTPException:
    return HTTPException(status_code=403, detail=reason)


class SmsAdapter(ChannelAdapter):
    """Twilio SMS: numbered options instead of buttons, GSM-7 aware, opt-out keywords."""

    name = CHANNEL
    capabilities = Capabilities(buttons=False, max_text_length=153 * DEFAULT_MAX_SEGMENTS)
    # The core never sends on this channel to a customer with this flag set (STOP).
    consent_flag = "sms_opt_out"
    # Addresses are phone numbers: the core sends one-time codes to typed phones here.
    addresses_are_phones = True

    def __init__(self, core: Core, limiter: Limiter | None = None) -> None:
        super().__init__(core, limiter)
        settings = core.settings
        self.transliterate = bool(getattr(settings, "sms_transliterate", False))
        self.max_segments = max(1, int(getattr(settings, "sms_max_segments", DEFAULT_MAX_SEGMENTS)))
        self.capabilities = Capabilities(buttons=False, max_text_length=153 * self.max_segments)
        self.validator = RequestValidator(settings.twilio_auth_token or "")
        self.sender = TwilioSender(
            settings.twilio_account_sid or "",
            settings.twilio_auth_token or "",
            settings.twilio_from_number or "",
            settings.twilio_api_base,
        )

    async def connect(self) -> None:
        settings = self.core.settings
        if not settings.public_url:
            log.warning(
                "SMS: PUBLIC_URL is not set, so Twilio webhooks cannot be verified and every "
                "inbound SMS will be refused (403). Set PUBLIC_URL to the address Twilio calls."
            )
        if not settings.twilio_from_number:
            log.warning("SMS: TWILIO_FROM_NUMBER is not set; replies cannot be sent")

    async def disconnect(self) -> None:
        await self.drain(SHUTDOWN_DRAIN_SECONDS)
        await self.sender.close()

    # -- outbound ------------------------------------------------------------------
    async def send(self, message: OutboundMessage) -> str:
        """Send one stored reply through the REST API; the Twilio message sid."""
        if not message.address:
            raise DeliveryError("no phone number to send to", permanent=True)
        sms = self._render(message)
        sid = await self.sender.send(message.address, sms.text)
        SEGMENTS_SENT.labels(sms.encoding).inc(sms.segments)
        log.info(
            "sms message %s sent as %s: %s, %d segment(s)%s",
            message.id,
            sid,
            sms.encoding,
            sms.segments,
            " (shortened)" if sms.shortened else "",
        )
        return sid

    def _render(self, message: OutboundMessage) -> SmsText:
        text = message.text
        if message.buttons:  # the core renders options already; never lose them
            text = numbered_options(text, [b.title for b in message.buttons])
        sms = render_for_sms(
            text, transliterate_text=self.transliterate, max_segments=self.max_segments
        )
        if not sms.text:
            raise DeliveryError("nothing to send: the reply is empty after SMS rendering")
        return sms

    async def find_sent(self, message: OutboundMessage) -> str | None:
        """After a send was interrupted: the sid of this reply in Twilio's log, or None when
        Twilio never created it (safe to send). Raises DeliveryError when it cannot tell."""
        body = self._render(message).text
        for sid, sent_body in await self.sender.sent_to(message.address, message.created_at):
            if sent_body == body:
                async with self.core.sessions() as session:
                    recorded = await repo.find_message_by_provider_id(session, CHANNEL, sid)
                if recorded is None:  # not an earlier reply with the same words
                    return sid
        return None

    # -- inbound -------------------------------------------------------------------
    def webhook_url(self, request: Request) -> str | None:
        """The URL Twilio signed: PUBLIC_URL + the path (+ the query string, if any)."""
        public_url = self.core.settings.public_url
        if not public_url:
            return None
        url = public_url.rstrip("/") + WEBHOOK_PATH
        query = request.url.query
        return f"{url}?{query}" if query else url

    def router(self) -> APIRouter:
        router = APIRouter(tags=["sms"])

        @router.post(WEBHOOK_PATH)
        async def twilio_webhook(request: Request) -> Response:
            """An inbound SMS from Twilio; answered with empty TwiML, replies go by REST."""
            url = self.webhook_url(request)
            if url is None:
                log.error(
                    "SMS webhook refused: PUBLIC_URL is not set, so the Twilio signature "
                    "cannot be checked (Twilio signs the public URL it calls)"
                )
                raise _refuse("webhook signature cannot be verified: PUBLIC_URL is not set")
            signature = request.headers.get("X-Twilio-Signature")
            if not signature:
                raise _refuse("missing X-Twilio-Signature")
            # Twilio posts form fields, never files: a file part is refused (400) before
            # anything is spooled, and the signature is checked over text fields only.
            form = await request.form(max_files=0)
            if not self.validator.validate(url, form, signature):
                log.warning("SMS webhook refused: invalid Twilio signature for %s", url)
                raise _refuse("invalid X-Twilio-Signature")
            fields = {key: value for key, value in form.items() if isinstance(value, str)}
            missing = [key for key in ("From", "MessageSid") if not fields.get(key)]
            if missing:
                raise HTTPException(400, f"missing form field(s): {', '.join(missing)}")
            # Answer Twilio once the SMS is stored, with its turn when it can go at once
            # (an error is a 5xx: Twilio retries); the reply goes out through the REST API
            # from the outbox.
            accepted = await self.admit(inbound_from_twilio(fields))
            if accepted.duplicate:
                log.info("SMS %s already received (Twilio retry)", fields["MessageSid"])
            self.answer_later(accepted)
            return Response(content=str(MessagingResponse()), media_type="text/xml")

        return router

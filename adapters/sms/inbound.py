"""A Twilio inbound SMS as the core's InboundMessage: phone numbers and SMS keywords."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.phones import normalise_phone
from bot.messages import InboundMessage
from intents.text import fold

CHANNEL = "sms"

# Twilio's default opt-out keywords (its own handling stops texts to a number that sends one
# of them alone, so ours must agree) and unambiguous Polish equivalents, matched on the whole
# message, case- and diacritic-insensitive. Not "rezygnuję": in Polish that is how a customer
# cancels an order, and the dialogue cancels it. "cancel my order" is no keyword either.
OPT_OUT = frozenset(
    {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "OPTOUT",
        "REVOKE",
        "NIE WYSYLAJ",
        "WYPISZ",
        "WYPISZ MNIE",
    }
)
OPT_IN = frozenset({"START", "UNSTOP", "YES", "OPTIN"})
HELP = frozenset({"HELP", "INFO", "POMOC"})
HELP_PAYLOAD = "/help"

_EDGE_PUNCTUATION = " \t\r\n.!?,;:\"'"


def keyword_of(body: str) -> str:
    """The whole message as a keyword: trimmed, upper case, without diacritics."""
    return " ".join(fold(body.strip(_EDGE_PUNCTUATION)).upper().split())


def inbound_from_twilio(form: Mapping[str, str]) -> InboundMessage:
    """The core's message for one validated Twilio webhook (From and MessageSid present)."""
    sender = form["From"]
    # Twilio reports senders in E.164; anything else (a short code, a name) is no phone.
    phone = normalise_phone(sender, region=None)
    body = form.get("Body") or ""
    meta: dict[str, object] = {"to": form.get("To") or ""}
    if phone:
        # The network delivered this from that number: the channel proves the phone.
        meta["proven_phone"] = phone
    keyword = keyword_of(body)
    payload = None
    if keyword in OPT_OUT:
        meta["sms_opt_out"] = True
    elif keyword in OPT_IN:
        meta["sms_opt_in"] = True
    elif keyword in HELP:
        payload = HELP_PAYLOAD
    return InboundMessage(
        channel=CHANNEL,
        address=phone or sender.strip(),
        text=body,
        payload=payload,
        provider_id=form["MessageSid"],
        meta=meta,
    )

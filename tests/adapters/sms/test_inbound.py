"""A Twilio webhook's form as the core's InboundMessage: numbers and SMS keywords."""

from __future__ import annotations

import pytest

from adapters.sms.inbound import inbound_from_twilio, keyword_of
from bot.domain.phones import normalise_phone
from tests.adapters.sms.fake_twilio import inbound_form


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+48600111222", "+48600111222"),
        ("+48 600 111 222", "+48600111222"),
        ("0048600111222", "+48600111222"),
        ("+1 (415) 555-0100", "+14155550100"),
        ("Omnibot", None),
        ("600111222", None),
        ("whatsapp:+48600111222", None),
    ],
)
def test_a_sender_is_a_phone_only_in_e164(raw: str, expected: str | None) -> None:
    assert normalise_phone(raw, region=None) == expected


def test_an_sms_sender_is_a_proven_phone() -> None:
    message = inbound_from_twilio(inbound_form("cześć", from_="+48600111222", sid="SM1"))
    assert message.channel == "sms"
    assert message.address == "+48600111222"
    assert message.text == "cześć"
    assert message.provider_id == "SM1"
    assert message.payload is None
    assert message.meta["proven_phone"] == "+48600111222"
    assert "sms_opt_out" not in message.meta and "sms_opt_in" not in message.meta


def test_an_alphanumeric_sender_proves_nothing() -> None:
    message = inbound_from_twilio(inbound_form("hi", from_="ShopAlert"))
    assert message.address == "ShopAlert"
    assert "proven_phone" not in message.meta


@pytest.mark.parametrize(
    "body",
    [
        "STOP",
        "stop",
        " Stop. ",
        "STOPALL",
        "unsubscribe",
        "Cancel",
        "END",
        "quit!",
        "Nie wysyłaj",
        "NIE WYSYLAJ",
        "wypisz mnie",
    ],
)
def test_opt_out_keywords(body: str) -> None:
    message = inbound_from_twilio(inbound_form(body))
    assert message.meta["sms_opt_out"] is True
    assert "sms_opt_in" not in message.meta


@pytest.mark.parametrize("body", ["START", "start", "Unstop", "YES"])
def test_opt_in_keywords(body: str) -> None:
    message = inbound_from_twilio(inbound_form(body))
    assert message.meta["sms_opt_in"] is True
    assert "sms_opt_out" not in message.meta


@pytest.mark.parametrize("body", ["HELP", "help", "Info", "POMOC", "pomoc?"])
def test_help_keywords_ask_for_help(body: str) -> None:
    message = inbound_from_twilio(inbound_form(body))
    assert message.payload == "/help"
    assert message.text == body


@pytest.mark.parametrize(
    "body",
    ["stop sending me pizza ads", "please help me", "START ORDER", "cancel my order", "Rezygnuję"],
)
def test_keywords_only_count_as_the_whole_message(body: str) -> None:
    message = inbound_from_twilio(inbound_form(body))
    assert message.payload is None
    assert not {"sms_opt_out", "sms_opt_in"} & message.meta.keys()


def test_keyword_normalisation() -> None:
    assert keyword_of("  nie   wysyłaj! ") == "NIE WYSYLAJ"
    assert keyword_of("Pomóc") == "POMOC"

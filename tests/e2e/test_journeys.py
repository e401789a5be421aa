"""Issue 5's journeys: one customer, one history, one cart, whatever the channel."""

from __future__ import annotations

import re

from tests.adapters.telegram import updates
from tests.e2e.conftest import Omni, six_digits

CHECKOUT = [
    "zamawiam",
    "dostawa",
    "ul. Długa 5/3, Kraków",
    "Ala Nowak",
    "600 123 456",
    "potwierdzam, płacę kartą",
]


async def checkout_in_webchat(omni: Omni, token: str) -> str:
    replies: list[str] = []
    for line in CHECKOUT:
        replies = await omni.web(token, line)
    confirmation = " ".join(replies)
    match = re.search(r"PZ-\d{5}", confirmation)
    assert match, confirmation
    return match.group(0)


async def test_journey_1_telegram_cart_finished_in_the_web_chat(omni: Omni) -> None:
    chat = 5001
    await omni.telegram_update(updates.text(chat, "poproszę dwie duże margherity"))
    assert any("2 × Margherita" in t for t in omni.telegram_texts(chat))
    await omni.telegram_update(updates.text(chat, "połącz konto"))
    code = six_digits(omni.telegram_texts(chat))

    token = await omni.webchat_session()
    joined = await omni.web(token, code)
    assert any("koszyk (2 szt.)" in t for t in joined)
    history = await omni.web_history(token)
    telegram_lines = [m["text"] for m in history if m["channel"] == "telegram"]
    assert "poproszę dwie duże margherity" in telegram_lines  # the whole timeline is here

    sent_to_telegram = len(omni.telegram_texts(chat))
    number = await checkout_in_webchat(omni, token)
    await omni.settle()
    assert len(omni.telegram_texts(chat)) == sent_to_telegram  # the confirmation: web chat only
    cart = await omni.web(token, "co mam w koszyku")
    assert any("pusty" in t for t in cart)
    assert number.startswith("PZ-")


async def test_journey_2_web_order_followed_up_in_telegram(omni: Omni) -> None:
    token = await omni.webchat_session()
    await omni.web(token, "poproszę dużą pepperoni i colę")
    number = await checkout_in_webchat(omni, token)
    offer = " ".join(await omni.web(token, "kontynuuj w telegramie"))
    link = re.search(r"https://t\.me/(\w+)\?start=([\w-]+)", offer)
    assert link, offer
    assert link.group(1) == "omnibot_test_bot"

    chat = 5002
    await omni.telegram_update(updates.text(chat, f"/start {link.group(2)}"))
    assert any("Połączyłem" in t for t in omni.telegram_texts(chat))
    await omni.telegram_update(updates.text(chat, "gdzie jest moje zamówienie"))
    status = omni.telegram_texts(chat)[-1]
    assert number in status


async def test_journey_3_sms_learns_the_telegram_cart_and_order(omni: Omni) -> None:
    phone = "+48600111222"
    await omni.sms(phone, "gdzie jest moje zamówienie?")
    first = omni.sms_texts(phone)[-1]
    assert "PZ-" not in first  # nothing known yet

    chat = 5003
    await omni.telegram_update(updates.text(chat, "poproszę dwie duże margherity"))
    # Someone else's contact with that number joins nothing.
    await omni.telegram_update(updates.contact(chat, phone, contact_user_id=999))
    await omni.sms(phone, "co mam w koszyku?")
    assert "Margherita" not in omni.sms_texts(phone)[-1]
    # The owner shares their own contact: the phone is proven, the customers join.
    await omni.telegram_update(updates.contact(chat, phone.lstrip("+"), contact_user_id=chat))
    assert any("Połączyłem" in t or "Witaj" in t for t in omni.telegram_texts(chat)[-2:])
    await omni.sms(phone, "co mam w koszyku?")
    assert "Margherita" in omni.sms_texts(phone)[-1]


async def test_wrong_secrets_and_signatures_are_refused(omni: Omni) -> None:
    r = await omni.http.post(
        "/channels/telegram/webhook",
        json=updates.text(1, "hi"),
        headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"},
    )
    assert r.status_code == 403
    r = await omni.http.post(
        "/channels/sms/twilio",
        data={"From": "+48600000000", "Body": "x", "MessageSid": "SM1"},
        headers={"X-Twilio-Signature": "forged"},
    )
    assert r.status_code == 403


async def test_telegram_checkout_offers_share_my_phone_and_takes_the_contact(omni: Omni) -> None:
    chat = 5004
    for line in ["poproszę dużą hawajską", "zamawiam", "odbiór osobisty", "Ola"]:
        await omni.telegram_update(updates.text(chat, line))
    asked = omni.telegram.calls_to("sendMessage")[-1]
    markup = str(asked.params.get("reply_markup"))
    assert "request_contact" in markup, markup  # the one-tap "share my phone" key
    await omni.telegram_update(updates.contact(chat, "48600555444", contact_user_id=chat))
    texts = omni.telegram_texts(chat)
    assert any("600 555 444" in t for t in texts[-3:])  # the proven phone is used
    assert "podsumowanie" in texts[-1].lower()  # and the checkout moves on to the summary

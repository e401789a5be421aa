"""Analytics: what counts as unmatched, and what the page may show of a customer's text."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.content.analytics import mask_contacts
from bot.store import repo
from bot.store.models import Customer
from tests.admin.conftest import Admin


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("Anna Kowalska, 601 234 567", "Anna Kowalska, [phone]"),
        ("dzwońcie +48 600-111-222 lub anna.k@gmail.com", "dzwońcie [phone] lub [e-mail]"),
        ("call me on 0048600111222", "call me on [phone]"),
        ("mój numer to 123 456 789", "mój numer to [phone]"),  # phone-shaped is enough
        ("zamówienie PZ-12345 na 19:30", "zamówienie PZ-12345 na 19:30"),
        ("ul. Długa 5/12, 80-123 Gdańsk", "ul. Długa 5/12, 80-123 Gdańsk"),
    ],
)
def test_phones_and_e_mails_are_masked(typed: str, shown: str) -> None:
    assert mask_contacts(typed) == shown


async def test_flow_answers_are_not_unmatched_and_text_is_masked(sqlite_admin: Admin) -> None:
    say = await sqlite_admin.chat()
    await say("cześć")  # one real customer, so the events have someone to belong to
    core = sqlite_admin.app.state.core
    async with core.sessions() as s:
        customer_id = (await s.scalars(select(Customer.id))).one()

        def event(**data: object) -> None:
            repo.record_event(s, "intent", customer_id, "webchat", **data)

        # Answers to the checkout's questions: the NLU understood none of them.
        for step, text in [
            ("checkout.address", "ul. Długa 5, Gdańsk"),
            ("checkout.contact", "Anna Kowalska, 601 234 567"),
            ("checkout.note", "domofon 12, drugie piętro"),
        ]:
            event(intent="nlu_fallback", understood=True, flow_step=step, text=text)
        # Free text the bot did not understand, outside any flow.
        event(intent="nlu_fallback", understood=False, text="oddzwońcie na 601 234 567")
        event(intent="nlu_fallback", understood=False, text="Oddzwońcie na 602 000 111")
        event(intent="nlu_fallback", understood=False, text="napiszcie: anna@example.com")
        # Understood (an order named a product the NLU missed): not unmatched.
        event(intent="nlu_fallback", understood=True)
        event(intent="menu", understood=True)
        # Recorded before flow answers were marked: unmatched by its intent, as before.
        event(intent="nlu_fallback", text="jaka pogoda?")
        await s.commit()

    r = await sqlite_admin.http.get("/api/admin/analytics", headers=sqlite_admin.op)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["flow_answers"] == 3
    top = {u["text"]: u["count"] for u in data["out_of_scope"]["top_unmatched"]}
    assert top == {
        "oddzwońcie na [phone]": 2,  # two numbers, one question
        "napiszcie: [e-mail]": 1,
        "jaka pogoda?": 1,
    }
    # "cześć" (greet) + 6 messages outside flows; 4 of the 7 not understood.
    assert data["out_of_scope"]["count"] == 4
    assert data["out_of_scope"]["total"] == 7
    assert "checkout" not in r.text and "Długa" not in r.text and "601" not in r.text


async def test_checkout_answers_typed_in_the_web_chat_never_show_as_unmatched(
    sqlite_admin: Admin,
) -> None:
    say = await sqlite_admin.chat()
    for text in [
        "2 duże margherity",
        "zamawiam",
        "dostawa",
        "ul. Długa 5, Kraków",
        "Anna Kowalska, 601 234 567",
        "domofon 12, drugie piętro",
        "jaka jutro będzie pogoda w Krakowie?",  # free text during the checkout: still a step
        "Potwierdzam, gotówką",
        "jaka jutro będzie pogoda w Krakowie?",  # outside any flow: unmatched
        "oddzwońcie na 602 000 111 albo anna@example.com",
    ]:
        assert await say(text), text
    r = await sqlite_admin.http.get("/api/admin/analytics", headers=sqlite_admin.op)
    data = r.json()
    top = {u["text"]: u["count"] for u in data["out_of_scope"]["top_unmatched"]}
    # Contact details typed outside the checkout are understood (kept for the next order).
    assert top == {"jaka jutro będzie pogoda w Krakowie?": 1}
    assert data["flow_answers"] >= 5  # delivery, address, contact, note, the question, confirm
    assert data["out_of_scope"]["count"] == 1
    assert data["out_of_scope"]["total"] == 4  # the order, checkout, the question, the contact
    assert "602" not in r.text and "anna@example.com" not in r.text

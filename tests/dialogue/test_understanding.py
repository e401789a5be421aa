"""Customers' own words, judged by the state they leave: a size typed with a typo, a person
asked for, a message left for the team typed (not pressed), a "no, thanks" carrying an order.

The real pipeline and the real NLU (tests/dialogue/conftest.py); Polish and English, with
typos and without diacritics. Each case is a new customer.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.core import Core
from bot.order_board import StatusChange, advance_order
from bot.store import repo
from bot.store.models import Event, Order
from tests.dialogue.chat import Chat

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def end_state(chat: Chat) -> dict[str, Any]:
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        cart = await repo.cart_of(s, chat.customer_id)
        conversation = await repo.conversation_of(s, chat.customer_id)
        handoffs = list(
            await s.scalars(
                select(Event).where(Event.customer_id == chat.customer_id, Event.kind == "handoff")
            )
        )
        lines = sorted(
            f"{i.quantity} {i.product_id}"
            + (f" {i.size}" if i.size not in (None, "default") else "")
            for i in cart.items
        )
        return {
            "cart": lines,
            "conversation": conversation.status,
            "reasons": [(e.data or {}).get("reason") for e in handoffs],
            "left": [str((e.data or {}).get("message") or "") for e in handoffs],
        }


async def talk(core: Core, *texts: str) -> dict[str, Any]:
    chat = Chat(core)
    for text in texts:
        result = await chat.say(text)
        assert result.replies, f"no reply to {text!r}"
    return await end_state(chat)


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["2 larg pepperonis"], ["2 pepperoni large"]),
        (["one smal margherita and a lrge hawaiian"], ["1 hawaii large", "1 margherita small"]),
        (["a capricciosa please", "medum"], ["1 capricciosa medium"]),
        (["two large diavolas", "actually make them meduim"], ["2 diavola medium"]),
        (["poprosze srednai margherite"], ["1 margherita medium"]),
        (["duza pepperoni i mala diavola"], ["1 diavola small", "1 pepperoni large"]),
        (["dwie duze hawajskie", "jednak sredine"], ["2 hawaii medium"]),
        (["srednia pepperoni"], ["1 pepperoni medium"]),
        (["mała capricciosa"], ["1 capricciosa small"]),
        # A product whose name is also an FAQ topic, named with its size alone, is ordered.
        (["mała wegetariańska"], ["1 vegetariana small"]),
        (["mala wegetarianska", "a jednak duza"], ["1 vegetariana large"]),
        (["czy wegetariańska jest bez sera?"], []),
        # Real words one letter from a size are no size: the size is still asked for.
        (["poprosze capricciose, milego dnia", "srednia"], ["1 capricciosa medium"]),
        (["shall I get a diavola?", "large"], ["1 diavola large"]),
    ],
)
async def test_a_size_typed_with_a_typo_or_without_diacritics_lands_in_the_cart(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    "text",
    [
        "potrzebuję pomocy od pracownika",
        "potrzebuje pomocy kogos z obslugi",
        "czy moze mi pomoc pracownik",
        "potrzebuje pomocy czlowieka",
        "chce rozmawiac z czlowiekiem",
        "can I speak to someone from staff",
        "i need help from a staff member",
        "nie ogarniam tego, dajcie kogos zywego",
        "this is too hard, get me a real person",
        # Asked for with a verb of asking, or who is named before the verb of talking.
        "dobry wieczor, mozna prosic kogos z obslugi?",
        "witam, czy moge prosic kierownika",
        "hello, could i have someone from your staff",
        "z czlowiekiem chce rozmawiac, nie z automatem",
        # A long unhappy message the classifier finds out of scope still asks for one.
        "juz prawie dwie godziny czekamy, to jakis zart jest, chce z kims porozmawiac",
    ],
)
async def test_a_person_asked_for_in_own_words_queues_the_conversation(
    dialogue_core: Core, text: str
) -> None:
    state = await talk(dialogue_core, "dwie cole", text)
    assert state["conversation"] == "waiting_agent"
    assert state["reasons"] == ["customer_request"]
    assert state["cart"] == ["2 cola"]


@pytest.mark.parametrize(
    ("ask", "message"),
    [
        ("I'd like to leave a message", "please call me about a birthday order"),
        ("hi, can i leave a msg for the team?", "is the terrace open in winter"),
        ("chcę zostawić wiadomość", "proszę o fakturę na firmę"),
        ("przekaż wiadomość dla obsługi", "zadzwońcie w sprawie imprezy"),
        ("chce zostawic wiadomosc dla pracownikow", "czy mozna zamowic tort"),
    ],
)
async def test_a_typed_request_to_leave_a_message_keeps_the_next_text_for_the_team(
    dialogue_core: Core, ask: str, message: str
) -> None:
    state = await talk(dialogue_core, "mala margherita", ask, message)
    assert state["conversation"] == "waiting_agent"
    assert state["reasons"] == ["message_for_team"]
    assert state["left"] == [message]
    assert state["cart"] == ["1 margherita small"]


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        (["mozna pogadac z kims z obslugi?", "zostawie wiadomosc", "oddzwoncie prosze"], None),
        (["I need to speak to a member of staff"], "Leave a message"),
    ],
)
async def test_a_message_left_while_waiting_for_a_person_is_that_same_request(
    dialogue_core: Core, texts: list[str], message: str | None
) -> None:
    """Asked for a person, then left a message (typed or pressed): one handoff in the
    customer's history, the message on it."""
    chat = Chat(dialogue_core)
    for text in texts:
        assert (await chat.say(text)).replies
    left = texts[-1]
    if message is not None:
        assert (await chat.press(message)).replies
        left = "please ring me back about a party order"
        assert (await chat.say(left)).replies
    state = await end_state(chat)
    assert state["conversation"] == "waiting_agent"
    assert state["reasons"] == ["customer_request"]
    assert state["left"] == [left]


@pytest.mark.parametrize(
    "text", ["podlacz konto", "polacz konta prosze", "polacz profil", "connect my account"]
)
async def test_linking_asked_for_without_diacritics_shows_a_code(
    dialogue_core: Core, text: str
) -> None:
    chat = Chat(dialogue_core)
    await chat.say("2 cole")
    result = await chat.say(text)
    assert re.search(r"(?<!\d)\d{6}(?!\d)", result.text), result.text


@pytest.mark.parametrize(
    ("texts", "fulfilment"),
    [
        (["duza margherita", "to wszystko", "osobiscei", "Ola 600 111 333", "karta"], "pickup"),
        (
            [
                "mala diavola i cola",
                "zamawiam",
                "dostwa",
                "Dietla 9, Krakow",
                "Ala 600 111 444",
                "karta",
            ],
            "delivery",
        ),
        (
            [
                "a small pepperoni and a large hawaiian",
                "checkout",
                "delivry",
                "Basztowa 2, Krakow",
                "Max 600 222 444",
                "cash",
            ],
            "delivery",
        ),
        (["a medium capricciosa", "that's all", "colection", "Kim 600 222 555", "cash"], "pickup"),
    ],
)
async def test_delivery_or_pickup_typed_with_a_typo_is_the_answer(
    dialogue_core: Core, texts: list[str], fulfilment: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        assert (await chat.say(text)).replies
    assert [o.fulfilment for o in await chat.orders()] == [fulfilment]


async def test_a_message_asked_for_mid_checkout_is_kept_and_the_cart_stays(
    dialogue_core: Core,
) -> None:
    state = await talk(
        dialogue_core, "duza margherita", "zamawiam", "chce zostawic wiadomosc", "dzwoncie przed"
    )
    assert state["left"] == ["dzwoncie przed"]
    assert state["cart"] == ["1 margherita large"]


@pytest.mark.parametrize(
    ("question", "answer", "cart"),
    [
        ("czy macie krzesełka dla dzieci?", "nie, dzięki. poproszę małą margheritę",
         ["1 margherita small"]),
        ("czy jest u was przewijak?", "nie dzieki, to poprosze duza pepperoni",
         ["1 pepperoni large"]),
        ("is there a changing table for babies?", "no thanks. 2 smal margheritas please",
         ["2 margherita small"]),
        ("do you have high chairs?", "nope, just a large diavola", ["1 diavola large"]),
    ],
)  # fmt: skip
async def test_no_thanks_with_an_order_after_a_yes_no_question_adds_the_order(
    dialogue_core: Core, question: str, answer: str, cart: list[str]
) -> None:
    state = await talk(dialogue_core, question, answer)
    assert state == {"cart": cart, "conversation": "bot", "reasons": [], "left": []}


@pytest.mark.parametrize(
    ("texts", "language"),
    [
        (["helo", "can i get a medium margherita and 2 cokes"], "en"),
        (["Im Kate, 512 345 678", "a small margherita please"], "en"),
        (["ok", "poproszę dużą margheritę"], "pl"),
    ],
)
async def test_the_language_is_the_first_one_a_message_shows(
    dialogue_core: Core, texts: list[str], language: str
) -> None:
    """A first message that shows no language ("helo", a name and a phone) does not fix the
    conversation in the default language: the next one that shows one does."""
    chat = Chat(dialogue_core)
    for text in texts:
        await chat.say(text)
    assert (await chat.customer()).language == language
    assert (await end_state(chat))["cart"]


@pytest.mark.parametrize(
    ("text", "lang", "cart"),
    [
        ("2 pepperoni srednie i 1 sos czosnkowy", "pl", ["1 garlic-sauce", "2 pepperoni medium"]),
        ("duza margherita i cola", "pl", ["1 cola", "1 margherita large"]),
        ("2 medium pepperoni and 1 garlic sauce", "en", ["1 garlic-sauce", "2 pepperoni medium"]),
    ],
)
async def test_an_order_of_menu_names_is_answered_in_the_language_of_the_other_words(
    dialogue_core: Core, text: str, lang: str, cart: list[str]
) -> None:
    """The menu's names are Italian or English ("pepperoni", "sos czosnkowy" beside them):
    Polish words typed without Polish letters, and "i" before a number, make it Polish."""
    chat = Chat(dialogue_core)
    result = await chat.say(text)
    added = {"pl": "Dodałem do koszyka", "en": "Added to your cart"}[lang]
    assert result.text.startswith(added), result.text
    assert (await chat.customer()).language == lang
    assert (await end_state(chat))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["dwie male pepperoni", "i jeszcze sos czosnkowy", "usun sos"], ["2 pepperoni small"]),
        (["a large margherita and a coke", "remove the drink"], ["1 margherita large"]),
        # Two of that kind: which one is asked, nothing is removed yet.
        (
            ["duza margherita, cola i woda", "usuń napój"],
            ["1 cola", "1 margherita large", "1 water"],
        ),
        # Not wanted any more, said without a verb of removing: that product goes.
        (["srednia hawajska i sok", "soku jednak nie trzeba"], ["1 hawaii medium"]),
        (["mala diavola i cola", "cola jednak niepotrzebna"], ["1 diavola small"]),
        (["duza capricciosa i woda", "jednak nie trzeba wody"], ["1 capricciosa large"]),
        (["two cokes and a small pepperoni", "we can skip the coke"], ["1 pepperoni small"]),
    ],
)
async def test_removing_a_kind_of_item_removes_the_one_line_of_that_kind(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["co jest w capricciosie?", "to poprosze mala"], ["1 capricciosa small"]),
        (["what's on the diavola?", "ok 2 large please"], ["2 diavola large"]),
        # No card just before: a size alone names nothing to add.
        (["pokaż menu", "poproszę małą"], []),
    ],
)
async def test_a_size_right_after_a_products_card_orders_that_product(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


async def test_thanks_thats_all_with_a_full_cart_starts_the_checkout(dialogue_core: Core) -> None:
    chat = Chat(dialogue_core)
    await chat.say("mala hawajska")
    await chat.say("dzieki to tyle")
    assert chat.customer_id is not None
    async with dialogue_core.sessions() as s:
        state = await repo.dialogue_state_of(s, chat.customer_id)
        assert state.flow == "checkout"  # delivery or pickup is asked next
    assert (await end_state(chat))["cart"] == ["1 hawaii small"]


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["duza pepperoni", "anuluj"], ["1 pepperoni large"]),  # asked first, nothing gone
        (["duza pepperoni", "anuluj", "tak"], []),
        (["a small diavola and a coke", "cancel", "no"], ["1 cola", "1 diavola small"]),
    ],
)
async def test_cancel_with_a_cart_and_no_order_means_the_cart_asked_first(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize("text", ["i'm hungry", "anything spicy?", "cos pikantnego prosze"])
async def test_a_vague_wish_gets_the_menu_not_a_fallback(dialogue_core: Core, text: str) -> None:
    chat = Chat(dialogue_core)
    result = await chat.say(text)
    assert chat.customer_id is not None
    async with dialogue_core.sessions() as s:
        state = await repo.dialogue_state_of(s, chat.customer_id)
    assert state.fallback_count == 0  # understood: no step of the fallback ladder
    assert result.buttons  # the menu's categories to pick from


async def checkout_state(chat: Chat) -> dict[str, Any]:
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        state = await repo.dialogue_state_of(s, chat.customer_id)
        slots = state.slots or {}
        return {
            "flow": state.flow,
            "fulfilment": slots.get("fulfilment"),
            "address": slots.get("address"),
        }


@pytest.mark.parametrize(
    "texts",
    [
        ["duza margherita i cola", "usun cole", "z dowozem na Dluga 5, Krakow"],
        ["duza margherita", "pokaz koszyk", "ile kosztuje dostawa?", "dowoz na Dluga 5, Krakow"],
        [
            "English please",
            "large margherita and a coke",
            "remove the coke",
            "with delivery to Dluga 5, Krakow",
        ],
    ],
)
async def test_delivery_with_an_address_while_the_cart_holds_items_checks_out(
    dialogue_core: Core, texts: list[str]
) -> None:
    """Not only right after an item was added: whenever the cart holds items, "z dowozem na
    Długą 5" is where to deliver them, not the question where the shop delivers."""
    chat = Chat(dialogue_core)
    for text in texts:
        await chat.say(text)
    assert (await end_state(chat))["cart"] == ["1 margherita large"]
    assert await checkout_state(chat) == {
        "flow": "checkout",
        "fulfilment": "delivery",
        "address": "Dluga 5, Krakow",
    }


@pytest.mark.parametrize(
    ("texts", "cart", "address"),
    [
        (["poproszę margheritę dużą, adres ul. Tomasza 20"], ["1 margherita large"], None),
        (["duża margherita z dostawą na Tomasza 20, Kraków", "to wszystko"],
         ["1 margherita large"], "Tomasza 20, Kraków"),
        (["poprosze srednia margherite", "zamawiam", "dostawa", "Tomasza 20, Krakow"],
         ["1 margherita medium"], "Tomasza 20, Krakow"),
        (["poprosze srednia margherite", "zamawiam", "dostawa", "na Tomasza 20"],
         ["1 margherita medium"], "Tomasza 20"),
        (["a large margherita, my address is 12 Baker Street, Krakow"], ["1 margherita large"],
         None),
        (["English please", "a medium margherita", "checkout", "delivery", "Tomasza 20, Krakow"],
         ["1 margherita medium"], "Tomasza 20, Krakow"),
    ],
)  # fmt: skip
async def test_a_street_named_like_a_product_orders_nothing(
    dialogue_core: Core, texts: list[str], cart: list[str], address: str | None
) -> None:
    """ "Tomasza 20" is no 20 tomato sauces: an address said with an order, or asked for at
    the checkout, adds nothing to the cart (and its place is no item "not on the menu")."""
    chat = Chat(dialogue_core)
    for text in texts:
        result = await chat.say(text)
        assert "w menu" not in result.text and "on our menu" not in result.text, result.text
    assert (await end_state(chat))["cart"] == cart
    if address is not None:
        assert (await checkout_state(chat))["address"] == address


@pytest.mark.parametrize(
    "texts",
    [
        ["z dowozem na Dluga 5, Krakow"],  # nothing to deliver yet
        ["mala cola", "usun cole", "z dowozem na Dluga 5, Krakow"],
        ["duza margherita", "pokaz koszyk", "a dowozicie na Dluga 5, Krakow?"],  # asked
    ],
)
async def test_delivery_with_an_address_and_nothing_to_check_out_or_asked_is_the_area_question(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        reply = await chat.say(text)
    assert (await checkout_state(chat))["flow"] is None
    assert "Dowozimy" in reply.text or "dowozimy" in reply.text, reply.text


@pytest.mark.parametrize(
    "texts",
    [
        ["kiedy odbior?"],
        ["kiedy moge odebrac?"],
        ["a za ile moge przyjsc po pizze?"],
        ["English please", "when can I pick up?"],
    ],
)
async def test_when_to_pick_up_with_no_order_gets_the_shops_pickup_time(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        reply = await chat.say(text)
    pickup = dialogue_core.dialogue.catalog.facts.pickup_minutes.text()
    assert pickup in reply.text, reply.text
    assert reply.intent not in ("opening_hours", "nlu_fallback"), reply.intent


@pytest.mark.parametrize(
    ("texts", "minutes"),
    [
        (["duza margherita na wynos", "zamawiam", "Jan, 600 111 227", "gotowka",
          "kiedy moge odebrac?"], "pickup_minutes"),
        (["duza margherita", "zamawiam", "dostawa", "Długa 5, Kraków", "Jan, 600 111 228",
          "gotowka", "kiedy będzie?"], "delivery_minutes"),
        (["a large margherita for pickup", "checkout", "Jim, 600 111 229", "cash",
          "where's my order?"], "pickup_minutes"),
    ],
)  # fmt: skip
async def test_when_it_comes_before_the_kitchen_gave_a_time_gets_the_usual_time(
    dialogue_core: Core, texts: list[str], minutes: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        reply = await chat.say(text)
    (order,) = await chat.orders()
    usual = getattr(dialogue_core.dialogue.catalog.facts, minutes).text()
    assert order.number in reply.text and usual in reply.text, reply.text


async def test_when_to_pick_up_with_an_order_accepted_gets_its_status_and_time(
    dialogue_core: Core,
) -> None:
    chat = Chat(dialogue_core)
    await chat.say("duza margherita na wynos")
    await chat.say("zamawiam")
    await chat.say("Jan, 600 111 222")
    await chat.say("gotowka")
    (order,) = await chat.orders()
    accepted = await advance_order(
        dialogue_core, order.number, "confirmed", StatusChange(eta_minutes=25)
    )
    async with dialogue_core.sessions() as s:
        placed = await s.get(Order, order.id)
        assert placed is not None and placed.ready_at is not None
        time = f"{dialogue_core.dialogue.catalog.facts.local(placed.ready_at):%H:%M}"
    assert accepted["status"] == "confirmed"
    for text in ("kiedy moge odebrac?", "a za ile moge przyjsc po pizze?"):
        reply = await chat.say(text)
        assert order.number in reply.text and f"do odbioru około {time}" in reply.text, reply.text


@pytest.mark.parametrize(
    ("texts", "fact"),
    [
        (["duza margherita", "zamawiam", "a ile trwa dostawa?"], "45–60"),
        (["English please", "a large margherita", "checkout", "how much is delivery?"], "9.90"),
    ],
)
async def test_a_question_about_a_way_asked_at_delivery_or_pickup_is_answered_not_chosen(
    dialogue_core: Core, texts: list[str], fact: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        reply = await chat.say(text)
    assert fact in reply.text, reply.text
    assert await checkout_state(chat) == {"flow": "checkout", "fulfilment": None, "address": None}
    async with chat.core.sessions() as s:
        assert (await repo.dialogue_state_of(s, chat.customer_id or 0)).step == "fulfilment"


@pytest.mark.parametrize(
    ("texts", "answer"),
    [
        (["macie cos wegetarianskiego?"], "Bez mięsa są: Margherita, Quattro Formaggi"),
        (["pokaz menu"], "Wybierz kategorię"),
    ],
)
async def test_the_menu_asked_for_in_a_way_the_faq_answers_gets_that_answer_and_the_categories(
    dialogue_core: Core, texts: list[str], answer: str
) -> None:
    chat = Chat(dialogue_core)
    for text in texts:
        reply = await chat.say(text)
    assert answer in reply.text, reply.text
    assert "Pizze" in {b["title"] for b in reply.buttons}, reply.buttons

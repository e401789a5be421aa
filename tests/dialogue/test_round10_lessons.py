"""What round 10's held-out journeys taught, said in other words than theirs: two sizes of one
pizza in one breath, one more of the same said around other words, the last thing added taken
back, a note written with its label, a phone or a street corrected at the summary, a payment
method misspelt, going on in another channel in the customer's words, when the driver comes,
a weekday's hours asked unsurely, an order said with a goodbye, the cheapest or dearest thing,
a change asked of an order already placed, the last order again with one more thing.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the state it leaves.
"""

from __future__ import annotations

import re

import pytest

from bot.core import Core
from tests.dialogue.chat import chat_saying, orders_of
from tests.dialogue.test_understanding import end_state, talk

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["2 small and 1 large pepperoni"], ["1 pepperoni large", "2 pepperoni small"]),
        (["poprosze mala i duza hawajska"], ["1 hawaii large", "1 hawaii small"]),
        # A size after the product corrects it: one item still.
        (["mala margherita", "zmien mala margherite na duza"], ["1 margherita large"]),
    ],
)
async def test_two_sizes_before_one_pizza_are_two_items(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["a large diavola", "my wife wants one as well"], ["2 diavola large"]),
        (["mala capricciosa", "siostra tez chce jedna"], ["2 capricciosa small"]),
        # "kolega" is no cola ("kol|egi" is no inflection of "kol|a").
        (["mala capricciosa", "kolega tez chce jedna"], ["2 capricciosa small"]),
    ],
)
async def test_one_more_said_in_other_words_adds_one_of_the_same(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["a small hawaiian", "and 2 cokes", "remove the last one please"], ["1 hawaii small"]),
        (["srednia diavola", "i sos bbq", "usun to ostatnie"], ["1 diavola medium"]),
        # Pointed at by a pronoun alone, right after adding: what was added, in its number.
        (["a large margherita", "plus 2 colas", "no wait, take it off"], ["1 margherita large"]),
        (["a cola", "and two more colas", "remove those"], ["1 cola"]),
        (["duza margherita", "i sok", "jednak usun go"], ["1 margherita large"]),
        # The whole cart meant: not only the last thing (emptied once confirmed).
        (["a large margherita", "plus 2 colas", "remove it all", "yes"], []),
        (["duza margherita", "i 2 cole", "usun to wszystko", "tak"], []),
        # ...but every item of a kind named goes alone.
        (["duza margherita", "i 2 cole", "usun wszystkie napoje"], ["1 margherita large"]),
    ],
)
async def test_the_last_thing_added_is_taken_back_when_pointed_at(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize(
    ("texts", "note", "total"),
    [
        (["duza pepperoni na wynos", "to wszystko", "Ola 600 111 301",
          "uwagi: polowa z pieczarkami jak capricciosa", "gotowka"], "polowa z pieczarkami", 4490),
        (["a large diavola for pickup", "that's all", "Ola 600 111 302",
          "note for the kitchen: half of it margherita please", "cash"], "half of it", 4590),
    ],
)  # fmt: skip
async def test_a_note_written_with_its_label_is_the_note_whatever_it_names(
    dialogue_core: Core, texts: list[str], note: str, total: int
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].total == total  # the one pizza ordered, nothing added
    assert note in str(orders[0].note)


async def test_a_phone_corrected_at_the_summary_replaces_the_one_given(
    dialogue_core: Core,
) -> None:
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "a small margherita for pickup", "that's all", "Ola 600 111 303",
            "sorry, that's the wrong number - it's 600 111 304", "card",
        )
    )  # fmt: skip
    assert orders and orders[0].contact_phone == "+48600111304"


@pytest.mark.parametrize(
    ("fix", "street"),
    [
        ("przepraszam, pomylilem numer, ma byc Dietla 9/1 a nie 9/2", "Dietla 9/1, Krakow"),
        ("sorry, my mistake, it should be Dietla 11/2", "Dietla 11/2, Krakow"),
    ],
)
async def test_a_street_corrected_at_the_summary_is_where_it_goes(
    dialogue_core: Core, fix: str, street: str
) -> None:
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "duza margherita z dostawa", "to wszystko", "Dietla 9/2, Krakow",
            "Ola 600 111 305", fix, "gotowka",
        )
    )  # fmt: skip
    assert orders and orders[0].address == street
    assert not orders[0].note


@pytest.mark.parametrize(
    ("typed", "method"),
    [("crad", "card"), ("gotowak", "cash"), ("i'll pay by crad", "card"), ("place gotwka", "cash")],
)
async def test_a_payment_method_misspelt_by_a_letter_places_the_order(
    dialogue_core: Core, typed: str, method: str
) -> None:
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "mala pepperoni na wynos", "to wszystko", "Ola 600 111 306", typed
        )
    )
    assert orders and orders[0].payment_method == method
    assert not orders[0].note  # the misspelt word is no note for the kitchen


async def test_cart_typed_at_the_summary_is_no_card(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core, "mala pepperoni na wynos", "to wszystko", "Ola 600 111 307", "cart"
    )
    assert not await orders_of(chat)


@pytest.mark.parametrize(
    "texts",
    [
        ["mala diavola", "czy moge to dokonczyc na telegramie?"],
        ["a small diavola", "can i finish this over sms instead?"],
        # Where the name is asked: the code, then the question again.
        ["a small diavola for pickup", "that's all", "let me switch to telegram for the rest"],
    ],
)
async def test_going_on_in_another_channel_in_own_words_shows_the_code(
    dialogue_core: Core, texts: list[str]
) -> None:
    chat = await chat_saying(dialogue_core, *texts)
    assert chat.last is not None and re.search(r"\b\d{6}\b", chat.last.text)


async def test_when_the_driver_comes_after_ordering_tells_the_order(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core, "duza hawajska z dostawa na Dietla 3/1, Krakow", "to wszystko",
        "Ola 600 111 308", "gotowka",
    )  # fmt: skip
    orders = await orders_of(chat)
    reply = await chat.say("kiedy dojedzie kierowca?")
    assert orders[0].number in reply.text


async def test_when_the_driver_comes_with_no_order_is_no_question_of_change(
    dialogue_core: Core,
) -> None:
    reply = await (await chat_saying(dialogue_core, "hej")).say("za ile przyjedzie kurier?")
    assert "drobne" not in reply.text and "45" in reply.text


async def test_a_weekday_named_in_an_unsure_question_gets_that_days_hours(
    dialogue_core: Core,
) -> None:
    reply = await (await chat_saying(dialogue_core, "hej")).say(
        "a w sobote tez mozna u was cos zamowic?"
    )
    assert "sobot" in reply.text.lower()


@pytest.mark.parametrize(
    ("texts", "cart"),
    [
        (["dobra, to na razie srednia capricciosa"], ["1 capricciosa medium"]),
        (["bye for now, oh and a large hawaiian"], ["1 hawaii large"]),
    ],
)
async def test_an_order_said_with_a_goodbye_is_ordered(
    dialogue_core: Core, texts: list[str], cart: list[str]
) -> None:
    assert (await talk(dialogue_core, *texts))["cart"] == cart


@pytest.mark.parametrize("done", ["no i na tym koniec", "that's it from me"])
async def test_done_said_with_other_small_words_starts_the_checkout(
    dialogue_core: Core, done: str
) -> None:
    reply = await (await chat_saying(dialogue_core, "mala margherita")).say(done)
    titles = " ".join(b["title"].lower() for b in reply.buttons)
    assert "odbi" in titles or "pick" in titles  # delivery or pickup, to choose


@pytest.mark.parametrize(
    ("asked", "named"),
    [("which pizza is the cheapest?", "Margherita"), ("a najdrozszy napoj?", "Lemoniada")],
)
async def test_the_cheapest_or_dearest_is_named_with_its_price(
    dialogue_core: Core, asked: str, named: str
) -> None:
    reply = await (await chat_saying(dialogue_core, "hej")).say(asked)
    assert named in reply.text
    assert (await talk(dialogue_core, asked))["cart"] == []


async def test_a_change_asked_of_an_order_just_placed_goes_to_the_team(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core, "srednia margherita na wynos", "to wszystko", "Ola 600 111 309", "karta"
    )
    await chat.say("a moge jeszcze zmienic na duza?")
    orders = await orders_of(chat)
    assert len(orders) == 1 and orders[0].total == 3290  # still the medium one
    assert (await end_state(chat))["conversation"] == "waiting_agent"


async def test_the_same_correction_with_items_in_the_cart_changes_the_cart(
    dialogue_core: Core,
) -> None:
    state = await talk(
        dialogue_core, "srednia margherita na wynos", "to wszystko", "Ola 600 111 310", "karta",
        "mala pepperoni", "a jednak duza",
    )  # fmt: skip
    assert state == {**state, "cart": ["1 pepperoni large"], "conversation": "bot"}


async def test_the_last_order_again_with_one_more_thing_holds_both(dialogue_core: Core) -> None:
    state = await talk(
        dialogue_core, "a medium vegetarian for pickup", "that's all", "Ola 600 111 311", "cash",
        "same as last time please, and add a water",
    )  # fmt: skip
    assert state["cart"] == ["1 vegetariana medium", "1 water"]


async def test_the_last_order_again_for_a_friend_is_that_order_alone(dialogue_core: Core) -> None:
    state = await talk(
        dialogue_core, "mala diavola na wynos", "to wszystko", "Ola 600 111 312", "gotowka",
        "jeszcze raz to samo dla kolegi",
    )  # fmt: skip
    assert state["cart"] == ["1 diavola small"]


async def test_a_way_said_first_with_a_colon_keeps_every_item(dialogue_core: Core) -> None:
    state = await talk(dialogue_core, "delivery please: 2 small margheritas and a coke")
    assert state["cart"] == ["1 cola", "2 margherita small"]


@pytest.mark.parametrize(
    ("finish", "pay"), [("dokończmy zamówienie", "blik"), ("let's finish my order", "card")]
)
async def test_finishing_the_order_said_at_the_summary_is_no_note(
    dialogue_core: Core, finish: str, pay: str
) -> None:
    """ "Dokończmy zamówienie" at the summary confirms it (how they pay is asked), never the
    kitchen's note."""
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "mala pepperoni na wynos", "to wszystko", "Ola 600 111 308", finish, pay
        )
    )
    assert orders and orders[0].payment_method == pay
    assert not orders[0].note


async def test_finishing_in_another_channel_said_at_the_summary_gets_the_code(
    dialogue_core: Core,
) -> None:
    chat = await chat_saying(
        dialogue_core, "mala pepperoni na wynos", "to wszystko", "Ola 600 111 314",
        "dokoncze na waszej stronie",
    )  # fmt: skip
    assert chat.last is not None and re.search(r"\b\d{6}\b", chat.last.text)
    assert not await orders_of(chat)


async def test_the_finish_button_at_the_summary_shows_the_summary_to_pay_from(
    dialogue_core: Core,
) -> None:
    """The "Finish my order" a person's handback offers (a checkout button) at the summary:
    the summary again, with its payment buttons; nothing is placed until one is pressed."""
    chat = await chat_saying(
        dialogue_core, "mala pepperoni na wynos", "to wszystko", "Ola 600 111 309"
    )
    reply = await chat.payload("/checkout", "Dokończ zamówienie")
    assert "Pepperoni" in reply.text  # what is ordered, shown before paying
    assert not await orders_of(chat)
    pays = [b for b in reply.buttons if '"payment_method"' in b["payload"]]
    assert pays
    await chat.payload(pays[0]["payload"], pays[0]["title"])
    assert len(await orders_of(chat)) == 1


@pytest.mark.parametrize(
    "texts",
    [
        ["adres: Szewska 8/2, Krakow", "duza margherita", "to wszystko", "Ola 600 111 310",
         "gotowka"],
        ["Szewska 8/2, Krakow", "duza margherita", "to wszystko", "Ola 600 111 311", "gotowka"],
        ["my address is Szewska 8/2, Krakow", "a large margherita", "that's all",
         "Ola 600 111 312", "cash"],
    ],
)  # fmt: skip
async def test_an_address_given_before_ordering_is_where_the_order_goes(
    dialogue_core: Core, texts: list[str]
) -> None:
    orders = await orders_of(await chat_saying(dialogue_core, *texts))
    assert orders and orders[0].fulfilment == "delivery"
    assert "Szewska 8/2" in str(orders[0].address)


async def test_an_address_outside_the_area_given_before_ordering_is_not_kept(
    dialogue_core: Core,
) -> None:
    """Said at once that the shop does not deliver there; the checkout then asks the way."""
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "adres: Marszalkowska 10, Warszawa", "duza margherita", "to wszystko",
            "odbior osobisty", "Ola 600 111 313", "gotowka",
        )
    )  # fmt: skip
    assert orders and orders[0].fulfilment == "pickup"
    assert not orders[0].address

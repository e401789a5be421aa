"""What a customer wants done to an item, said with it ("duża margherita bez bazylii", "a large
pepperoni without onions", "extra cheese", "well done", "cut into 8"): kept on the item's cart
line, said back when it is added, shown in the summary and written into the order's note,
which the orders board and the printed ticket show.

The real pipeline and the real NLU (tests/dialogue/conftest.py); each case is a new customer,
judged by the cart line or the placed order it leaves.
"""

from __future__ import annotations

import pytest

from bot.core import Core
from bot.store import repo
from tests.dialogue.chat import Chat, chat_saying, orders_of

pytestmark = pytest.mark.asyncio(loop_scope="module")


async def cart_lines(chat: Chat) -> list[tuple[int, str, str | None, str | None]]:
    """The customer's cart: (quantity, product, size, wish) per line."""
    assert chat.customer_id is not None
    async with chat.core.sessions() as s:
        cart = await repo.cart_of(s, chat.customer_id)
        lines = [(i.quantity, i.product_id, i.size, i.note) for i in cart.items]
        return sorted(lines, key=lambda x: (x[1], str(x[2]), x[3] or ""))


@pytest.mark.parametrize(
    ("text", "line"),
    [
        # The lead's words.
        ("duza margherita bez bazylii", (1, "margherita", "large", "bez bazylii")),
        ("a large pepperoni without onions please", (1, "pepperoni", "large", "without onions")),
        # Other words: a list of things, typos and no diacritics, baking, cutting, "no X".
        ("poproszę średnią wegetariańską bez cebuli i oliwek",
         (1, "vegetariana", "medium", "bez cebuli i oliwek")),
        ("srednia capriciosa bez pieczarek", (1, "capricciosa", "medium", "bez pieczarek")),
        ("two small diavolas, no jalapenos", (2, "diavola", "small", "no jalapenos")),
        ("mala hawajska dobrze wypieczona", (1, "hawaii", "small", "dobrze wypieczona")),
        # The number of slices is no number of pizzas.
        ("duza margherita pokrojona na 8", (1, "margherita", "large", "pokrojona na 8")),
        ("a large capricciosa well done and cut into 8",
         (1, "capricciosa", "large", "well done, cut into 8")),
        # A wish for one of several says which; "without" misspelt by a letter.
        ("2 duze margherity, jedna bez bazylii", (2, "margherita", "large", "jedna bez bazylii")),
        ("two large pepperonis, one of them wihtout onions",
         (2, "pepperoni", "large", "one of them wihtout onions")),
    ],
)  # fmt: skip
async def test_a_wish_said_with_an_item_stays_on_its_line_and_is_said_back(
    dialogue_core: Core, text: str, line: tuple[int, str, str, str]
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert await cart_lines(chat) == [line]
    assert chat.last is not None and line[3] in chat.last.text


@pytest.mark.parametrize(
    ("texts", "lines"),
    [
        # Named with a wish and no word of ordering: ordered so (was its card, or a removal).
        (["margherita bez bazylii", "duza"], [(1, "margherita", "large", "bez bazylii")]),
        (["hawajska bez ananasa", "mala"], [(1, "hawaii", "small", "bez ananasa")]),
        (["large hawaiian, hold the pineapple"], [(1, "hawaii", "large", "hold the pineapple")]),
        # Asked, it orders nothing; taken out of the cart, it is taken out.
        (["czy margherita jest bez bazylii?"], []),
        (["duza hawajska", "usun hawajska bez ananasa"], []),
    ],
)
async def test_a_product_named_with_a_wish_alone_is_ordered_so(
    dialogue_core: Core, texts: list[str], lines: list[tuple[int, str, str, str]]
) -> None:
    assert await cart_lines(await chat_saying(dialogue_core, *texts)) == lines


@pytest.mark.parametrize(
    ("texts", "lines"),
    [
        (["duza margherita", "bez cebuli prosze"], [(1, "margherita", "large", "bez cebuli")]),
        (["a large margherita", "no basil on it please"],
         [(1, "margherita", "large", "no basil")]),
        (["mala hawajska i cola", "a do pizzy dobrze wypieczona"],
         [(1, "cola", None, None), (1, "hawaii", "small", "dobrze wypieczona")]),
    ],
)  # fmt: skip
async def test_a_wish_said_right_after_adding_is_for_what_was_added(
    dialogue_core: Core, texts: list[str], lines: list[tuple[int, str, str | None, str | None]]
) -> None:
    assert await cart_lines(await chat_saying(dialogue_core, *texts)) == lines


async def test_a_wish_goes_with_the_item_it_was_said_with(dialogue_core: Core) -> None:
    chat = await chat_saying(dialogue_core, "duza margherita bez bazylii i mala pepperoni")
    assert await cart_lines(chat) == [
        (1, "margherita", "large", "bez bazylii"),
        (1, "pepperoni", "small", None),
    ]


async def test_the_same_pizza_with_and_without_a_wish_are_two_lines(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core, "a large margherita", "and another large margherita without basil"
    )
    assert await cart_lines(chat) == [
        (1, "margherita", "large", None),
        (1, "margherita", "large", "without basil"),
    ]


@pytest.mark.parametrize(
    ("text", "wish"),
    [
        ("a large margherita with extra cheese", "with extra cheese"),
        ("duża margherita z podwójnym serem", "z podwójnym serem"),
    ],
)
async def test_an_extra_the_menu_prices_not_is_noted_and_left_to_the_staff(
    dialogue_core: Core, text: str, wish: str
) -> None:
    chat = await chat_saying(dialogue_core, text)
    assert await cart_lines(chat) == [(1, "margherita", "large", wish)]
    assert chat.last is not None
    # Not free by accident, not priced by a guess: the staff confirm it.
    assert "obsługa" in chat.last.text or "staff" in chat.last.text
    assert "39,90" in chat.last.text or "39.90" in chat.last.text


@pytest.mark.parametrize(
    ("texts", "wish", "total"),
    [
        (["duza margherita bez bazylii na wynos", "to wszystko", "Ola 600 111 401", "gotowka"],
         "Margherita, duża (42 cm): bez bazylii", 3990),
        (["a large pepperoni without onions for pickup", "that's all", "Ola 600 111 402", "cash"],
         "Pepperoni, large (42 cm): without onions", 4490),
        (["mała hawajska dobrze wypieczona, na wynos", "to wszystko", "Ola 600 111 403",
          "karta"], "dobrze wypieczona", 2790),
        # Something added: the staff see the charge is theirs to confirm; none added here.
        (["a large margherita with extra cheese for pickup", "that's all", "Ola 600 111 409",
          "cash"], "with extra cheese (extra charge to confirm)", 3990),
        (["duża margherita z podwójnym serem na wynos", "to wszystko", "Ola 600 111 410",
          "gotowka"], "z podwójnym serem (dopłata do potwierdzenia)", 3990),
    ],
)  # fmt: skip
async def test_a_wish_reaches_the_order_note_the_kitchen_reads(
    dialogue_core: Core, texts: list[str], wish: str, total: int
) -> None:
    chat = await chat_saying(dialogue_core, *texts[:-1])
    said = wish.split(": ")[-1].split(" (")[0]
    assert chat.last is not None and said in chat.last.text  # the summary shows it
    await chat.say(texts[-1])
    orders = await orders_of(chat)
    assert orders and orders[0].total == total
    assert wish in str(orders[0].note)


async def test_a_wish_and_a_note_written_with_its_label_are_both_kept(
    dialogue_core: Core,
) -> None:
    orders = await orders_of(
        await chat_saying(
            dialogue_core, "duza margherita bez bazylii na wynos", "to wszystko",
            "Ola 600 111 404", "uwagi: prosze zadzwonic jak bedzie gotowa", "gotowka",
        )
    )  # fmt: skip
    assert orders and "bez bazylii" in str(orders[0].note)
    assert "zadzwonic" in str(orders[0].note)


@pytest.mark.parametrize(
    ("texts", "wish", "total"),
    [
        # The lead's words: the size asked, then the pizza added with its wish.
        (["margherita bez bazylii prosze", "duza"], "Margherita, duża (42 cm): bez bazylii",
         4490 + 3990),
        (["i jeszcze mala diavola bez jalapeno"], "Diavola, mała (25 cm): bez jalapeno",
         4490 + 2890),
        (["margherita bez bazylii prosze", "srednia"], "bez bazylii", 4490 + 3290),
    ],
)  # fmt: skip
async def test_an_item_with_a_wish_said_at_the_summary_is_added_with_it(
    dialogue_core: Core, texts: list[str], wish: str, total: int
) -> None:
    chat = await chat_saying(
        dialogue_core, "duza pepperoni na wynos", "to wszystko", "Ola 600 111 405", *texts
    )
    assert chat.last is not None and "bez" in chat.last.text  # the summary shows it
    await chat.say("gotowka")
    orders = await orders_of(chat)
    assert orders and orders[0].total == total
    assert wish in str(orders[0].note)


async def test_an_item_with_a_wish_said_at_the_summary_in_english(dialogue_core: Core) -> None:
    chat = await chat_saying(
        dialogue_core, "a large pepperoni for pickup", "that's all", "Ola 600 111 406",
        "and a small hawaiian with no pineapple", "card",
    )  # fmt: skip
    orders = await orders_of(chat)
    assert orders and orders[0].total == 4490 + 2790
    assert "Hawaiian, small (25 cm): with no pineapple" in str(orders[0].note) or (
        "no pineapple" in str(orders[0].note)
    )


@pytest.mark.parametrize(
    ("texts", "lines"),
    [
        (["duza margherita bez dostawy"], [(1, "margherita", "large", None)]),
        (["a large margherita without delivery"], [(1, "margherita", "large", None)]),
        # A kind of drink, not a wish for the cola ("bez cukru" is no note for the kitchen).
        (["duza margherita i cola bez cukru"],
         [(1, "cola", None, None), (1, "margherita", "large", None)]),
    ],
)  # fmt: skip
async def test_without_delivery_or_sugar_is_no_wish(
    dialogue_core: Core, texts: list[str], lines: list[tuple[int, str, str, None]]
) -> None:
    assert await cart_lines(await chat_saying(dialogue_core, *texts)) == lines


@pytest.mark.parametrize(
    ("texts", "lines"),
    [
        # A sauce declined is taken out, not a wish of the pizza.
        (["duza diavola i sos czosnkowy", "jednak bez sosu"], [(1, "diavola", "large", None)]),
        # A product after "bez" is declined, not wished away.
        (["duza diavola i cola", "jednak bez coli"], [(1, "diavola", "large", None)]),
    ],
)
async def test_something_declined_after_bez_is_no_wish(
    dialogue_core: Core, texts: list[str], lines: list[tuple[int, str, str, None]]
) -> None:
    assert await cart_lines(await chat_saying(dialogue_core, *texts)) == lines


@pytest.mark.parametrize(
    ("texts", "line"),
    [
        (["mala margherita bez bazylii", "jednak duza"], (1, "margherita", "large", "bez bazylii")),
        (["a small pepperoni, no onions", "actually make it large"],
         (1, "pepperoni", "large", "no onions")),
    ],
)  # fmt: skip
async def test_a_size_corrected_keeps_what_was_wished(
    dialogue_core: Core, texts: list[str], line: tuple[int, str, str, str]
) -> None:
    assert await cart_lines(await chat_saying(dialogue_core, *texts)) == [line]

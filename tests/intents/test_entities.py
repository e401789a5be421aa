"""Entities as a customer writes them: Polish inflection, typos, number words, several items."""

from __future__ import annotations

import pytest

from intents.entities import EntityExtractor
from knowledge.catalog import Catalog


@pytest.fixture(scope="module")
def extract():  # type: ignore[no-untyped-def]
    return EntityExtractor(Catalog.load().entity_synonyms()).extract


def triples(entities: list[dict], text: str) -> list[tuple[str, object, str]]:
    return [(e["entity"], e["value"], text[e["start"] : e["end"]]) for e in entities]


def test_several_items_in_one_polish_sentence_keep_their_order(extract) -> None:  # type: ignore[no-untyped-def]
    text = "poproszę dwie duże margherity i colę"
    assert triples(extract(text), text) == [
        ("quantity", 2, "dwie"),
        ("size", "large", "duże"),
        ("product", "margherita", "margherity"),
        ("product", "cola", "colę"),
    ]


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("pepperoni duża", "pepperoni"),
        ("margarita", "margherita"),
        ("coś z hawajskiej", "hawaii"),
        ("margeritę poproszę", "margherita"),
        ("kapricjoze dużą", "capricciosa"),
        ("peperoni", "pepperoni"),
        ("dwie diavole", "diavola"),
        ("cztery sery", "quattro-formaggi"),
        ("sos czosnkowy", "garlic-sauce"),
        ("a coke", "cola"),
        ("wegetarianska", "vegetariana"),
        # Inflected with a three-letter ending ("wo|dzie", "sok|iem").
        ("w lemoniadzie", "lemonade"),
        ("z sokiem", "orange-juice"),
    ],
)
def test_product_forms(extract, text: str, product: str) -> None:  # type: ignore[no-untyped-def]
    assert [e["value"] for e in extract(text) if e["entity"] == "product"] == [product]


@pytest.mark.parametrize(
    ("text", "quantity"),
    [("dwóch pepperoni", 2), ("trzy cole", 3), ("jedną margheritę", 1), ("pięć wody", 5),
     ("two large margheritas", 2), ("a couple of cokes", 2), ("3x capricciosa", 3),
     ("sos bbq x2", 2), ("4 wody", 4)],
)  # fmt: skip
def test_quantities(extract, text: str, quantity: int) -> None:  # type: ignore[no-untyped-def]
    assert [e["value"] for e in extract(text) if e["entity"] == "quantity"] == [quantity]


@pytest.mark.parametrize(
    ("text", "size"),
    [("małą hawajską", "small"), ("średnią", "medium"), ("srednia pepperoni", "medium"),
     ("large pepperoni", "large"), ("big one", "large"), ("margherita 32 cm", "medium"),
     ("duzej", "large")],
)  # fmt: skip
def test_sizes(extract, text: str, size: str) -> None:  # type: ignore[no-untyped-def]
    assert [e["value"] for e in extract(text) if e["entity"] == "size"] == [size]


@pytest.mark.parametrize(
    ("text", "size", "typed"),
    [("2 larg pepperonis", "large", "larg"), ("one smal margherita", "small", "smal"),
     ("a lrge hawaiian please", "large", "lrge"), ("medum capricciosa", "medium", "medum"),
     ("meduim please", "medium", "meduim"), ("srednai margherita", "medium", "srednai"),
     ("poprosze sredna diavole", "medium", "sredna"), ("jednak duzej", "large", "duzej"),
     ("malutką colę", "small", "malutką"), ("actually make them smalll", "small", "smalll"),
     ("mała", "small", "mała"), ("mala", "small", "mala")],
)  # fmt: skip
def test_a_size_typed_with_one_wrong_letter_is_still_a_size(  # type: ignore[no-untyped-def]
    extract, text: str, size: str, typed: str
) -> None:
    found = [e for e in extract(text) if e["entity"] == "size"]
    assert [(e["value"], text[e["start"] : e["end"]]) for e in found] == [(size, typed)]


@pytest.mark.parametrize(
    "text",
    ["miłego dnia", "milego wieczoru", "shall I order now?", "za mało sera", "dużo sosu",
     "średnio mi smakowała", "czekam dłużej niż godzinę", "krzesełko dla malucha",
     "does it smell of garlic?", "two lagers", "mama mówi, że mapa", "many thanks",
     "mine was cold", "pizza dla całej rodziny", "rodzina z dzieckiem", "medal", "media"],
)  # fmt: skip
def test_real_words_near_a_size_word_are_no_size(extract, text: str) -> None:  # type: ignore[no-untyped-def]
    assert [e for e in extract(text) if e["entity"] == "size"] == []


@pytest.mark.parametrize(
    ("text", "phone"),
    [("mój numer 600 111 222", "+48600111222"), ("+48 600-111-222", "+48600111222"),
     ("call me on 0048600111222", "+48600111222"), ("Anna, tel. 601234567", "+48601234567"),
     ("+1 415 555 2671 is my US number", "+14155552671")],
)  # fmt: skip
def test_phone_numbers_are_e164(extract, text: str, phone: str) -> None:  # type: ignore[no-untyped-def]
    assert [e["value"] for e in extract(text) if e["entity"] == "phone"] == [phone]


@pytest.mark.parametrize(
    "text", ["status PZ-48213", "gdzie pz48213", "order pz 48213", "zamówienie #48213",
             "zamówienie nr 48213"],
)  # fmt: skip
def test_order_numbers(extract, text: str) -> None:  # type: ignore[no-untyped-def]
    assert [e["value"] for e in extract(text) if e["entity"] == "order_number"] == ["PZ-48213"]


def test_the_phone_entity_is_the_bots_phone_rule(extract) -> None:  # type: ignore[no-untyped-def]
    from bot.domain.phones import find_phones

    for text in [
        "mój numer 600 111 222",
        "600 11 22 33",
        "call 0048 600 111 222",
        "tel 12345678",
        "+44 20 7946 0958",
        "555 123",
        "Jan 601 234 567 i Ola 602 345 678",
    ]:
        entities = [e["value"] for e in extract(text) if e["entity"] == "phone"]
        assert entities == [p.e164 for p in find_phones(text)], text


def test_numbers_that_are_not_quantities(extract) -> None:  # type: ignore[no-untyped-def]
    assert extract("czy dowozicie o 23?") == []
    assert extract("ocena 3/5") == []
    assert [e["entity"] for e in extract("mój kod to 482913")] == ["code"]


def test_words_that_only_look_like_products(extract) -> None:  # type: ignore[no-untyped-def]
    assert extract("what's the meaning of life") == []
    assert extract("I'm fine, thanks") == []
    # A shared stem with a tail that is no ending: "kol|ega" is no "kol|a".
    assert extract("kolega") == []
    assert extract("dla kolegi") == []


def test_categories(extract) -> None:  # type: ignore[no-untyped-def]
    found = {e["value"] for e in extract("jakie macie napoje i sosy?") if e["entity"] == "category"}
    assert found == {"drinks", "sauces"}


def test_odd_input_never_raises(extract) -> None:  # type: ignore[no-untyped-def]
    for text in ["", "😀", "\x00\x01", "a" * 100_000, "[[[]]]", "1" * 50]:
        assert isinstance(extract(text), list)


@pytest.mark.parametrize(
    ("text", "items"),
    [
        (
            "poproszę capricciosę średnią i wegetariańską dużą",
            [("capricciosa", None, "medium"), ("vegetariana", None, "large")],
        ),
        (
            "wegetarianska mala i dwie pepperoni duze",
            [("vegetariana", None, "small"), ("pepperoni", 2, "large")],
        ),
        (
            "pepperoni srednia i 2 male hawajskie",
            [("pepperoni", None, "medium"), ("hawaii", 2, "small")],
        ),
        ("dwie duże margherity i colę", [("margherita", 2, "large"), ("cola", None, None)]),
        (
            "a large pepperoni and 2 small hawaiian",
            [("pepperoni", None, "large"), ("hawaii", 2, "small")],
        ),
        (
            "one vegetarian medium and a quattro formaggi large",
            [("vegetariana", 1, "medium"), ("quattro-formaggi", None, "large")],
        ),
        # Two sizes before one pizza: that pizza twice, each with its own number.
        (
            "one small and one large margherita",
            [("margherita", 1, "small"), ("margherita", 1, "large")],
        ),
    ],
)
def test_sizes_and_quantities_stay_with_their_own_item_in_either_word_order(
    extract,
    text: str,
    items: list[tuple[str, int | None, str | None]],  # type: ignore[no-untyped-def]
) -> None:
    from bot.dialogue.cart import pair_items

    sized = {p.id for p in Catalog.load().products.values() if p.sized}
    paired = pair_items(extract(text), sized)
    assert [(r.product, r.quantity, r.size) for r in paired] == items


@pytest.mark.parametrize(
    ("text", "category"),
    [("co macie do picia?", "drinks"), ("any beverages?", "drinks"), ("jakie sosy?", "sauces")],
)
def test_everyday_words_find_a_category_named_by_the_catalog(text: str, category: str) -> None:
    """The server passes the catalog's category names ("Napoje", "Drinks"); the words
    customers use for them ("do picia") still find the category."""
    catalog = Catalog.load()
    found = EntityExtractor(catalog.entity_synonyms(), catalog.category_synonyms()).extract(text)
    assert [e["value"] for e in found if e["entity"] == "category"] == [category]


def test_a_pizza_called_by_its_short_name_is_that_pizza(extract) -> None:  # type: ignore[no-untyped-def]
    found = extract("a ile kosztuje duza capri?")
    assert [e["value"] for e in found if e["entity"] == "product"] == ["capricciosa"]


@pytest.mark.parametrize(
    ("text", "product", "typed"),
    [("wezme duza diav i 2 soki", "diavola", "diav"),
     ("a large quattro please", "quattro-formaggi", "quattro"),
     ("mala marg", "margherita", "marg"),
     # In the plural too (round 8: "2 large margs" was not on the menu).
     ("two small quattros and a large diavs", "quattro-formaggi", "quattros"),
     ("two small quattros and a large diavs", "diavola", "diavs")],
)  # fmt: skip
def test_a_name_cut_short_right_after_a_size_is_that_product(  # type: ignore[no-untyped-def]
    extract, text: str, product: str, typed: str
) -> None:
    found = [e for e in extract(text) if e["entity"] == "product"]
    assert (product, typed) in [(e["value"], text[e["start"] : e["end"]]) for e in found]


def test_a_name_cut_short_needs_a_size_before_it(extract) -> None:  # type: ignore[no-untyped-def]
    assert [e for e in extract("marg please") if e["entity"] == "product"] == []
    assert [e for e in extract("duze zamowienie") if e["entity"] == "product"] == []


@pytest.mark.parametrize(
    ("text", "lang", "quantities"),
    [("a ten sos czosnkowy jest z jajkiem?", "pl", []),
     ("one są ostre?", "pl", []),
     ("ten cokes please", "en", [10]),
     ("one large margherita", "en", [1]),
     ("dziesięć wód", "pl", [10])],
)  # fmt: skip
def test_a_word_of_the_message_language_is_not_another_language_number(  # type: ignore[no-untyped-def]
    extract, text: str, lang: str, quantities: list[int]
) -> None:
    """Polish "ten" (this) and "one" (they) are no quantities in a Polish message (round 8:
    "a ten bbq ma gorczyce?" added ten BBQ sauces)."""
    assert [e["value"] for e in extract(text, lang) if e["entity"] == "quantity"] == quantities

"""GSM-7/UCS-2 detection, segment counting, transliteration and shortening."""

from __future__ import annotations

import pytest

from adapters.sms.rendering import (
    GSM7,
    UCS2,
    is_gsm7,
    render_for_sms,
    segments_for,
    smarten,
    transliterate,
)
from bot.rendering import numbered_options


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (GSM7, 0)),
        ("a" * 160, (GSM7, 1)),
        ("a" * 161, (GSM7, 2)),
        ("a" * 306, (GSM7, 2)),
        ("a" * 307, (GSM7, 3)),
        ("ą" * 70, (UCS2, 1)),
        ("ą" * 71, (UCS2, 2)),
        ("ę" * 134, (UCS2, 2)),
        ("ę" * 135, (UCS2, 3)),
    ],
)
def test_segment_limits(text: str, expected: tuple[str, int]) -> None:
    assert segments_for(text) == expected


def test_one_polish_letter_makes_the_whole_message_ucs2() -> None:
    plain = "Twoje zamowienie jest w drodze. " * 4  # 128 characters: one GSM-7 segment
    assert segments_for(plain) == (GSM7, 1)
    assert segments_for(plain.replace("zamowienie", "zamówienie", 1)) == (UCS2, 2)
    assert segments_for("Zażółć gęślą jaźń") == (UCS2, 1)


def test_extension_characters_count_twice() -> None:
    assert is_gsm7("Cena: 25 € [promo] {x} ~ | ^ \\")
    assert segments_for("€" * 80) == (GSM7, 1)
    assert segments_for("€" * 81) == (GSM7, 2)
    assert segments_for("a" * 159 + "€") == (GSM7, 2)
    # An escape pair never straddles two parts: 152 + (2) does not fit in 153.
    assert segments_for("a" * 152 + "€" + "a" * 153) == (GSM7, 3)


def test_gsm7_accented_letters_stay_gsm7() -> None:
    assert segments_for("Café à Ångström, Müller ñ ø ß É") == (GSM7, 1)
    assert not is_gsm7("ó")  # ò is GSM-7, ó is not


def test_emoji_costs_two_ucs2_units() -> None:
    assert segments_for("🍕" * 35) == (UCS2, 1)
    assert segments_for("🍕" * 36) == (UCS2, 2)


def test_transliteration_to_gsm7() -> None:
    assert transliterate("Zażółć gęślą jaźń") == "Zazolc gesla jazn"
    assert transliterate("ŻÓŁW Ćma Ńa Ęą Śź") == "ZOLW Cma Na Ea Sz"
    assert transliterate("Cześć! Tu Pizzeria 🍕 Mogę pomóc") == "Czesc! Tu Pizzeria Moge pomoc"
    assert transliterate("„menu” — 25 zł…") == '"menu" - 25 zl...'
    assert transliterate("Café €5 👍🏽") == "Café €5"
    assert is_gsm7(transliterate("Dziękuję 😊 ❤️ — zapraszamy ponownie!"))


def test_typographic_punctuation_is_always_smartened() -> None:
    text = "Try “show the menu” – or ‘help’…"
    assert segments_for(text)[0] == UCS2
    assert smarten(text) == "Try \"show the menu\" - or 'help'..."
    sms = render_for_sms(text)
    assert sms.encoding == GSM7
    assert not sms.shortened


def test_polish_kept_without_transliteration_and_counted() -> None:
    sms = render_for_sms("Dzień dobry, w czym mogę pomóc?")
    assert sms.text == "Dzień dobry, w czym mogę pomóc?"
    assert (sms.encoding, sms.segments) == (UCS2, 1)
    sms = render_for_sms("Dzień dobry, w czym mogę pomóc?", transliterate_text=True)
    assert (sms.text, sms.encoding) == ("Dzien dobry, w czym moge pomoc?", GSM7)


def test_long_text_is_cut_at_a_word_and_options_survive() -> None:
    prose = " ".join(["Zamówienie numer 1234 jest w przygotowaniu i wkrótce wyjedzie."] * 12)
    text = numbered_options(prose, ["Status zamówienia", "Koszyk", "Porozmawiaj z człowiekiem"])
    assert segments_for(text)[1] > 4
    sms = render_for_sms(text, max_segments=2)
    assert sms.shortened
    assert sms.segments <= 2
    assert segments_for(sms.text) == (sms.encoding, sms.segments)
    body, *options = sms.text.split("\n")
    # Too long even without its Polish letters: sent without them, then cut.
    assert options == ["1. Status zamowienia", "2. Koszyk", "3. Porozmawiaj z czlowiekiem"]
    assert body.endswith("...")
    assert transliterate(prose).startswith(body[:-3])
    assert not body[:-3].endswith(" ")


def test_gsm7_text_is_cut_with_three_dots() -> None:
    text = numbered_options("word " * 200, ["Menu", "Cart"])
    sms = render_for_sms(text, max_segments=1)
    assert (sms.encoding, sms.segments) == (GSM7, 1)
    assert sms.text.endswith("...\n1. Menu\n2. Cart")


def test_list_descriptions_are_cut_before_items_are_dropped() -> None:
    items = [
        f"• Pizza {name} — 25 zł / 32 zł (sos pomidorowy, mozzarella, {name.lower()}, "
        "oregano, oliwa z oliwek extra vergine, świeża bazylia z naszego ogródka)"
        for name in ("Margherita", "Salame", "Funghi", "Capricciosa")
    ]
    text = numbered_options("Pizze:\n" + "\n".join(items), ["Dodaj Margherita", "Dodaj Salame"])
    sms = render_for_sms(text, max_segments=4)
    assert sms.shortened and sms.segments <= 4
    for name in ("Margherita", "Salame", "Funghi", "Capricciosa"):
        assert f"- Pizza {name} - 25 zl / 32 zl" in sms.text
    assert "ogródka" not in sms.text and "ogrodka" not in sms.text  # descriptions cut
    assert sms.text.endswith("\n1. Dodaj Margherita\n2. Dodaj Salame")


def test_many_options_keep_every_number() -> None:
    titles = [f"Bardzo długa nazwa opcji numer {i} z dodatkowym opisem" for i in range(1, 9)]
    sms = render_for_sms(numbered_options("Wybierz:", titles), max_segments=2)
    assert sms.segments <= 2
    lines = sms.text.split("\n")
    assert [line.split(".")[0] for line in lines] == [str(i) for i in range(1, 9)]


def test_options_that_cannot_fit_are_sent_whole() -> None:
    titles = [f"Opcja {i}" for i in range(1, 40)]
    text = numbered_options("Wybierz:", titles)
    sms = render_for_sms(text, max_segments=1)
    assert sms.text == text
    assert not sms.shortened


def test_short_text_is_untouched() -> None:
    text = numbered_options("Cześć! W czym mogę pomóc?", ["Menu", "Koszyk", "Pomoc"])
    sms = render_for_sms(text)
    assert sms.text == text
    assert (sms.encoding, sms.segments, sms.shortened) == (UCS2, 1, False)


def test_transliteration_never_empties_a_reply() -> None:
    sms = render_for_sms("😊", transliterate_text=True)
    assert (sms.text, sms.encoding) == ("😊", UCS2)


def test_a_polish_summary_too_long_with_diacritics_is_sent_whole_without_them() -> None:
    summary = (
        "Podsumowanie zamówienia:\n"
        "• 1 × Margherita, duża (42 cm) — 39,90 zł\n"
        "• 2 × Pepperoni, średnia (32 cm) — 67,80 zł\n"
        "• 1 × Cola 0,5 l — 7,90 zł\n"
        "Dostawa: ul. Długa 5, Kraków (dostawa 9,90 zł)\n"
        "Kontakt: Ala, 600 700 812\n"
        "Do zapłaty: 125,50 zł\n"
        "Jak płacisz? Przy dostawie przyjmujemy: gotówka lub karta. Wybierz, a złożę zamówienie.\n"
        "Uwagi dla kuchni lub kierowcy (domofon, bez cebuli…)? Napisz je przed potwierdzeniem.\n"
        "1. Potwierdzam · gotówka\n2. Potwierdzam · karta\n3. Zmień\n4. Anuluj"
    )
    assert segments_for(summary)[1] > 4  # with its Polish letters it would be cut
    sms = render_for_sms(summary, max_segments=4)
    assert sms.segments <= 4 and not sms.shortened
    assert "Do zaplaty: 125,50 zl" in sms.text and "Napisz je przed potwierdzeniem" in sms.text
    assert all(item in sms.text for item in ("Margherita", "2 Pepperoni", "Cola", "Dluga 5"))
    assert all(f"{n}. " in sms.text for n in range(1, 5))


def test_a_short_polish_reply_keeps_its_letters() -> None:
    sms = render_for_sms("Dziękuję! Zamówienie przyjęte.", max_segments=4)
    assert sms.text == "Dziękuję! Zamówienie przyjęte." and sms.encoding == "UCS-2"

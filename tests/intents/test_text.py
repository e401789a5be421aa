"""Polish typed without its letters reads as the same words: 'polacz profil' and 'połącz
profil' give the classifier, the entities and the FAQ the same lemmas."""

from __future__ import annotations

import pytest

from intents.text import fold, lemma, lemmatized, with_polish_letters, with_polish_words


@pytest.mark.parametrize(
    ("plain", "marked"),
    [
        ("polacz profil", "połącz profil"),
        ("zamowienie nie dotarlo", "zamówienie nie dotarło"),
        ("prosze o kontakt z czlowiekiem", "proszę o kontakt z człowiekiem"),
        ("moge zaplacic karta", "mogę zapłacić kartą"),
        ("ktora godzina", "która godzina"),
        ("chcialabym duza pizze", "chciałabym dużą pizzę"),
    ],
)
def test_polish_without_diacritics_gets_the_lemmas_of_the_marked_spelling(
    plain: str, marked: str
) -> None:
    assert lemmatized(plain) == lemmatized(marked)


def test_the_fewest_marks_nearest_the_end_win() -> None:
    assert with_polish_letters("prosze") == "proszę"  # not "prósze" (prószyć)
    assert with_polish_letters("polacz") == "połącz"


@pytest.mark.parametrize("word", ["order", "pizza", "kiedy", "adres", "margherita", "helo"])
def test_words_the_dictionaries_know_or_no_spelling_matches_keep_their_lemma(word: str) -> None:
    import simplemma

    assert lemma(word) == fold(simplemma.lemmatize(word, lang=("pl", "en")).lower())


def test_short_or_unmatched_words_are_not_guessed() -> None:
    assert with_polish_letters("zzzqqq") is None
    assert with_polish_letters("ok") is None


def test_a_long_string_of_such_letters_costs_a_bounded_number_of_lookups(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """'zzzz…' (30 letters) has tens of thousands of marked spellings: a customer could
    spend seconds of the server's CPU per message on them; the search gives up early."""
    import simplemma

    from intents import text

    looked_up: list[str] = []
    known = simplemma.is_known

    def counted(token: str, lang: object) -> bool:
        looked_up.append(token)
        return bool(known(token, lang))  # type: ignore[arg-type]

    monkeypatch.setattr(simplemma, "is_known", counted)
    assert with_polish_letters("z" * 30) is None
    assert len(looked_up) <= text._MOST_TRIES
    looked_up.clear()
    assert with_polish_letters("polaczyc") == "połączyć"  # a real word is within the budget


def test_the_encoder_gets_polish_words_in_their_marked_spelling() -> None:
    assert with_polish_words("polacz profil, Dluga 5") == "połącz profil, Długa 5"
    # Words the dictionaries know, and what matches no Polish word, stay as typed.
    assert with_polish_words("please deliver Margherita") == "please deliver Margherita"

"""The sparse features a parse reads are exactly scikit-learn's TF-IDF of each block."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix, hstack

from intents.data import flatten, load_intents_dir
from intents.features import Featurizer, fold, group_view, word_view

DATA = Path(__file__).resolve().parents[2] / "intents" / "data"
ODD = ["", "   ", "!!!", "a", "ó", "zzzqqq xxyy", "Żółć gęślą jaźń", "😀 pizza", "PIZZA  pizza"]


def library_transform(featurizer: Featurizer, texts: list[str]) -> csr_matrix:
    """The blocks as the fitted scikit-learn vectorizers compute them, side by side."""
    groups = featurizer._groups
    return hstack(
        [
            featurizer.chars.transform([fold(t) for t in texts]),
            featurizer.words.transform([word_view(t, groups) for t in texts]),
            featurizer.groups.transform([group_view(t, groups) for t in texts]),
        ],
        format="csr",
        dtype=np.float32,
    )


@pytest.fixture(scope="module")
def fitted() -> tuple[Featurizer, list[str]]:
    texts, _ = flatten(load_intents_dir(None))
    featurizer = Featurizer()
    featurizer.fit_transform(texts)
    heldout = [
        json.loads(line)["text"]
        for lang in ("pl", "en")
        for line in (DATA / f"heldout_{lang}.jsonl").open(encoding="utf-8")
    ]
    return featurizer, [*texts, *heldout, *ODD]


def assert_same(ours: csr_matrix, theirs: csr_matrix) -> None:
    assert type(ours) is type(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert np.array_equal(ours.indptr, theirs.indptr)
    assert np.array_equal(ours.indices, theirs.indices)
    assert np.array_equal(ours.data, theirs.data)  # bit for bit, not approximately


def test_a_batch_is_featurised_bit_for_bit_as_scikit_learn_does(
    fitted: tuple[Featurizer, list[str]],
) -> None:
    featurizer, texts = fitted
    assert_same(featurizer.transform(texts), library_transform(featurizer, texts))


def test_each_message_alone_is_featurised_as_scikit_learn_does(
    fitted: tuple[Featurizer, list[str]],
) -> None:
    featurizer, texts = fitted
    for text in texts[::7] + ODD:
        assert_same(featurizer.transform([text]), library_transform(featurizer, [text]))


def test_no_messages_make_an_empty_matrix(fitted: tuple[Featurizer, list[str]]) -> None:
    featurizer, _ = fitted
    assert featurizer.transform([]).shape == (0, featurizer.size)


def test_the_fit_counts_character_n_grams_as_scikit_learn_does() -> None:
    """The character block's fit counts each distinct word once (its n-grams never cross a
    space); vocabulary, IDF and matrix are the library's own fit, bit for bit."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts, _ = flatten(load_intents_dir(None))
    texts = [*texts, *ODD, "pizza pizza pizza", "Ala ma kota, a kot ma Alę"]
    featurizer = Featurizer()
    ours = featurizer.fit_transform(texts)[:, : featurizer.n_chars]
    library = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32
    )
    theirs = library.fit_transform([fold(t) for t in texts])
    assert featurizer.chars.vocabulary_ == library.vocabulary_
    assert np.array_equal(featurizer.chars.idf_, library.idf_)
    assert_same(csr_matrix(ours), csr_matrix(theirs))


def test_the_character_block_is_its_factors_product_but_for_shared_n_grams() -> None:
    texts = ["abc xyz", "ananas", "xyz xyz", "pizza margherita", ""]
    featurizer = Featurizer()
    block = featurizer.fit_transform(texts)[:, : featurizer.n_chars].toarray()
    factors = featurizer.char_factors(len(texts))
    assert factors is not None
    product = (factors[0] @ factors[1]).toarray()
    # Each n-gram from one word: the same values ("ananas" repeats "an" and "na" within the
    # word, which the word's own counts hold).
    for row in (0, 1, 4):
        assert np.allclose(product[row], block[row], atol=1e-6)
    # A repeated word, or two words ending in "a": TF 1 + ln 2 where the product sums 1 + 1
    # (the solver adds the difference).
    for row in (2, 3):
        assert not np.allclose(product[row], block[row], atol=1e-3)

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

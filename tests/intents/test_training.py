"""The full fit's solver works on a smaller, factored problem with the same optimum."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from intents.data import flatten, load_intents_dir
from intents.features import Featurizer
from intents.training import Weights, fit_logistic


def demo_problem() -> tuple[np.ndarray, csr_matrix, np.ndarray, int, Featurizer, list[str]]:
    texts, labels = flatten(load_intents_dir(None))
    featurizer = Featurizer()
    sparse = featurizer.fit_transform(texts)[:, : featurizer.classifier_columns]
    classes = sorted(set(labels))
    y = np.asarray([classes.index(label) for label in labels])
    # A stand-in for the embeddings: fixed random directions per class, plus noise.
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((len(classes), 16))[y] + rng.standard_normal((len(y), 16))
    return dense.astype(np.float32), sparse, y, len(classes), featurizer, texts


def logits(w: Weights, dense: np.ndarray, sparse: csr_matrix) -> np.ndarray:
    return np.asarray(dense @ w.dense + sparse @ w.sparse + w.bias)


def test_the_factored_fit_finds_the_same_model_as_the_plain_one() -> None:
    dense, sparse, y, k, featurizer, texts = demo_problem()
    factors = featurizer.char_factors(len(texts))
    assert factors is not None
    plain, _ = fit_logistic(dense, sparse, y, k, c=20.0, tol=1e-6, max_iter=3000)
    factored, _ = fit_logistic(dense, sparse, y, k, c=20.0, tol=1e-6, max_iter=3000,
                               factors=factors)  # fmt: skip
    a, b = logits(plain, dense, sparse), logits(factored, dense, sparse)
    assert np.abs(a - b).max() < 0.01 * np.abs(a).max()
    assert np.array_equal(a.argmax(axis=1), b.argmax(axis=1))
    assert np.abs(plain.sparse - factored.sparse).max() < 0.01 * np.abs(plain.sparse).max()


def test_factors_that_do_not_fit_the_rows_still_give_the_same_fit() -> None:
    """The solver adds whatever the factors leave out: wrong factors cost time, not weights."""
    dense, sparse, y, k, featurizer, texts = demo_problem()
    left, right = featurizer.char_factors(len(texts))  # type: ignore[misc]
    shuffled = csr_matrix(left[np.random.default_rng(1).permutation(left.shape[0])])
    plain, _ = fit_logistic(dense, sparse, y, k, c=20.0, tol=1e-6, max_iter=3000)
    odd, _ = fit_logistic(dense, sparse, y, k, c=20.0, tol=1e-6, max_iter=3000,
                          factors=(shuffled, right))  # fmt: skip
    a, b = logits(plain, dense, sparse), logits(odd, dense, sparse)
    assert np.abs(a - b).max() < 0.01 * np.abs(a).max()

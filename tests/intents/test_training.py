"""The full fit's solver works on a smaller, factored problem with the same optimum."""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix

from intents.data import flatten, load_intents_dir
from intents.features import Featurizer
from intents.training import Weights, _Factored, _Problem, fit_logistic


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


def test_far_off_classes_leave_no_subnormal_floats_in_the_residuals() -> None:
    """Early steps put some classes 100+ below a row's best; their probabilities, divided by
    the rows' count, fell below float32's normal range, and every product with such a value
    takes a microcode assist on Intel cores (CLINC150's fit took 2.4x the CPU). They are 0 now,
    and the loss and gradient are still the exact ones."""
    dense, sparse, y, k, _, _ = demo_problem()
    n = len(y)
    problem = _Problem(dense, _Factored(csr_matrix(sparse, dtype=np.float32)), y, k,
                       reg=1.0 / (20.0 * n), offset=None)  # fmt: skip
    rng = np.random.default_rng(2)
    w = (rng.standard_normal(problem.size) * 30).astype(np.float32)
    grad = np.empty_like(w)
    loss = problem.loss_grad(w, grad)

    residuals = problem.z
    tiny = np.finfo(np.float32).tiny
    assert not ((residuals != 0) & (np.abs(residuals) < tiny)).any()
    # The same loss and gradient in float64, nothing left out.
    weights = Weights.unflat(w.astype(np.float64), dense.shape[1], sparse.shape[1], k)
    z = logits(weights, dense.astype(np.float64), sparse)
    assert (z.max(axis=1, keepdims=True) - z).max() > 200  # far-off classes are there
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    total = p.sum(axis=1, keepdims=True)
    p /= total
    expected = (np.log(total[:, 0]) - z[np.arange(n), y]).mean() + 0.5 / (20.0 * n) * (
        np.square(weights.dense).sum() + np.square(weights.sparse).sum()
    )
    assert abs(loss - expected) < 1e-5 * expected
    e = p
    e[np.arange(n), y] -= 1
    e /= n
    g_sparse = sparse.T @ e + weights.sparse / (20.0 * n)
    g = Weights.unflat(grad.astype(np.float64), dense.shape[1], sparse.shape[1], k)
    assert np.abs(g.sparse - g_sparse).max() < 1e-4 * np.abs(g_sparse).max()
    assert np.abs(g.bias - e.sum(axis=0)).max() < 1e-4 * np.abs(e.sum(axis=0)).max()

"""Multinomial logistic regression for a dense block (embeddings) and a sparse block (n-grams).

The objective is scikit-learn's (`LogisticRegression(C)`, lbfgs, intercept not penalised):
mean cross-entropy + ||W||² / (2·C·n). It is minimised here with our own float32 L-BFGS
because the general solver spent most of its time where it need not:
- the embedding columns were stored as a sparse block (384 "non-zeros" per row through the
  sparse kernel); here they are one BLAS product,
- it keeps its history in float64 (CLINC150: 3.6 GB peak); float32 halves that and more,
- it always starts from zero and solves every class; here a retrain may start from the
  previous weights (`init`), and an update solves only the classes an edit touched, the
  others entering the softmax as a fixed per-row term (`offset`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

HISTORY = 6  # L-BFGS correction pairs (memory: 2 x HISTORY copies of the weights)


@dataclass
class Weights:
    dense: np.ndarray  # (d_dense, classes)
    sparse: np.ndarray  # (d_sparse, classes)
    bias: np.ndarray  # (classes,)

    def flat(self) -> np.ndarray:
        return np.concatenate([self.dense.ravel(), self.sparse.ravel(), self.bias])

    @classmethod
    def unflat(cls, w: np.ndarray, d_dense: int, d_sparse: int, k: int) -> Weights:
        a, b = d_dense * k, (d_dense + d_sparse) * k
        return cls(w[:a].reshape(d_dense, k), w[a:b].reshape(d_sparse, k), w[b:])

    @classmethod
    def zeros(cls, d_dense: int, d_sparse: int, k: int) -> Weights:
        z = np.zeros
        return cls(z((d_dense, k), np.float32), z((d_sparse, k), np.float32), z(k, np.float32))


def fit_logistic(
    dense: np.ndarray,
    sparse: csr_matrix,
    y: np.ndarray,
    n_classes: int,
    *,
    c: float,
    tol: float,
    max_iter: int,
    init: Weights | None = None,
    offset: np.ndarray | None = None,
    settled: np.ndarray | None = None,
) -> tuple[Weights, int]:
    """Weights minimising the regularised cross-entropy; returns them and the iterations used.

    `offset` (one value per row): the log-sum-exp of the logits of classes whose weights are
    held fixed; they share the softmax, and a row with `y == n_classes` belongs to one of
    them. The weights found then minimise the whole model's objective over these classes'
    columns, the others fixed (what an update of a few intents solves).
    `settled` (a mask of rows, with `init`): rows that `init` was fitted to. Their gradient
    at `init` (what the earlier fit's tolerance left over) is taken out of the objective, so
    the solver follows what the other rows — an operator's new examples — ask for: the
    mean gradient of one new example among 15,000 is smaller than that remainder."""
    n, d_dense = dense.shape
    d_sparse = sparse.shape[1]
    dense = np.ascontiguousarray(dense, dtype=np.float32)
    sparse_t = sparse.T.tocsr()  # X^T G is faster on a row-major transpose
    own = y < n_classes  # rows whose class is one of the n_classes learnt here
    onehot = np.zeros((n, n_classes), dtype=np.float32)
    onehot[own.nonzero()[0], y[own]] = 1.0
    reg = np.float32(1.0 / (c * n))
    rows = own.nonzero()[0]
    y_own = y[own]
    fixed = None if offset is None else np.asarray(offset, dtype=np.float32)

    def loss_grad(w: np.ndarray, weight: np.ndarray | None = None) -> tuple[float, np.ndarray]:
        p = Weights.unflat(w, d_dense, d_sparse, n_classes)
        z = dense @ p.dense
        z += sparse @ p.sparse
        z += p.bias
        top = z.max(axis=1)
        if fixed is not None:
            np.maximum(top, fixed, out=top)
        z -= top[:, None]
        e = np.exp(z)
        s = e.sum(axis=1)
        # Per-row losses summed in float64: the solver compares losses that differ in the
        # 8th digit.
        target = np.empty(n, dtype=np.float64)
        target[rows] = z[rows, y_own]
        if fixed is not None:
            rest = fixed - top
            s += np.exp(rest)
            target[~own] = rest[~own]
        per_row = np.log(s, dtype=np.float64) - target
        e /= s[:, None]
        e -= onehot
        e /= n
        if weight is not None:
            per_row *= weight
            e *= weight[:, None]
        loss = float(per_row.sum()) / n
        g_dense = dense.T @ e + reg * p.dense
        g_sparse = sparse_t @ e + reg * p.sparse
        loss += 0.5 * float(reg) * (_sq(p.dense) + _sq(p.sparse))
        return loss, np.concatenate([g_dense.ravel(), g_sparse.ravel(), e.sum(axis=0)])

    start = (init or Weights.zeros(d_dense, d_sparse, n_classes)).flat().astype(np.float32)
    objective: Callable[[np.ndarray], tuple[float, np.ndarray]] = loss_grad
    if settled is not None:
        shift = loss_grad(start, settled.astype(np.float32))[1]

        def shifted(w: np.ndarray) -> tuple[float, np.ndarray]:
            loss, grad = loss_grad(w)
            return loss - float(np.dot(shift, w)), grad - shift

        objective = shifted
    w, iterations = _lbfgs(objective, start, tol=tol, max_iter=max_iter)
    return Weights.unflat(w, d_dense, d_sparse, n_classes), iterations


def _sq(a: np.ndarray) -> float:
    return float(np.einsum("ij,ij->", a, a, dtype=np.float64))


def _lbfgs(fun, w: np.ndarray, *, tol: float, max_iter: int) -> tuple[np.ndarray, int]:  # type: ignore[no-untyped-def]
    """Plain L-BFGS with a backtracking (Armijo) line search; stops at max |gradient| ≤ tol."""
    f, g = fun(w)
    s_hist: list[np.ndarray] = []
    y_hist: list[np.ndarray] = []
    for it in range(1, max_iter + 1):
        if float(np.abs(g).max()) <= tol:
            return w, it - 1
        direction = _two_loop(g, s_hist, y_hist)
        slope = float(np.dot(g, direction))
        if slope >= 0:  # not a descent direction: restart from the gradient
            s_hist.clear()
            y_hist.clear()
            direction = -g
            slope = -float(np.dot(g, g))
        step = 1.0 if s_hist else min(1.0, 1.0 / max(float(np.abs(g).sum()), 1e-12))
        for _ in range(30):
            w_new = w + np.float32(step) * direction
            f_new, g_new = fun(w_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            return w, it
        s, yv = w_new - w, g_new - g
        # Keep the pair only where the curvature is clearly positive (relative to |y|², so
        # an update's tiny gradients still build a history).
        if float(np.dot(s, yv)) > 1e-8 * float(np.dot(yv, yv)):
            s_hist.append(s)
            y_hist.append(yv)
            if len(s_hist) > HISTORY:
                s_hist.pop(0)
                y_hist.pop(0)
        if abs(f - f_new) <= 1e-9 * max(abs(f), 1.0):
            return w_new, it
        w, f, g = w_new, f_new, g_new
    return w, max_iter


def _two_loop(g: np.ndarray, s_hist: list[np.ndarray], y_hist: list[np.ndarray]) -> np.ndarray:
    q = g.copy()
    alphas = []
    rhos = [1.0 / float(np.dot(y, s)) for s, y in zip(s_hist, y_hist, strict=True)]
    for s, y, rho in reversed(list(zip(s_hist, y_hist, rhos, strict=True))):
        a = rho * float(np.dot(s, q))
        alphas.append(a)
        q -= np.float32(a) * y
    if s_hist:
        s, y = s_hist[-1], y_hist[-1]
        q *= np.float32(float(np.dot(s, y)) / float(np.dot(y, y)))
    for (s, y, rho), a in zip(
        zip(s_hist, y_hist, rhos, strict=True), reversed(alphas), strict=True
    ):
        b = rho * float(np.dot(y, q))
        q += np.float32(a - b) * s
    return -q

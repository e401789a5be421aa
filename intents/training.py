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
A full fit also solves a smaller problem with the same optimum: an n-gram found in one
training example only (half of CLINC150's 63k columns) is merged with that example's other
such n-grams into one column (their optimal weights are proportional to their values, see
`_RowColumns`), and n-grams no training example has get no weight. The products and the
solver's vector algebra run on `THREADS` threads (scipy's and BLAS's kernels release the GIL).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.sparse import csr_matrix, hstack

HISTORY = 6  # L-BFGS correction pairs (memory: 2 x HISTORY copies of the weights)
THREADS = 2  # the machine's cores a fit uses for its products and vector algebra


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
    dense = np.ascontiguousarray(dense, dtype=np.float32)
    # An update (`offset`, `settled`) solves a few columns: cheap without the merge, and its
    # shift of the objective stays in the columns the caller knows.
    merged = _RowColumns(sparse) if offset is None and settled is None else None
    work = merged.reduced if merged is not None else csr_matrix(sparse, dtype=np.float32)
    problem = _Problem(dense, work, y, n_classes, reg=1.0 / (c * n), offset=offset)
    if init is None:
        start = np.zeros(problem.size, dtype=np.float32)
    else:
        start_sparse = merged.project(init.sparse) if merged is not None else init.sparse
        start = Weights(init.dense, start_sparse, init.bias).flat().astype(np.float32)
    objective: Callable[[np.ndarray, np.ndarray], float] = problem.loss_grad
    if settled is not None:
        shift = np.empty_like(start)
        problem.loss_grad(start, shift, settled.astype(np.float32))

        def shifted(w: np.ndarray, out: np.ndarray) -> float:
            loss = problem.loss_grad(w, out)
            out -= shift
            return loss - float(np.dot(shift, w))

        objective = shifted
    w, iterations = _lbfgs(objective, start, tol=tol, max_iter=max_iter)
    weights = Weights.unflat(w, d_dense, work.shape[1], n_classes)
    if merged is not None:
        weights = Weights(weights.dense.copy(), merged.expand(weights.sparse), weights.bias.copy())
    return weights, iterations


class _RowColumns:
    """The n-gram columns of a full fit, reduced to a problem with the same optimum.

    An n-gram found in one training row only reaches the loss through that row's logits, and
    its gradient is its value times that row's residual plus the penalty: at the optimum the
    weights of all such n-grams of row i are x_ij · v_i for one vector v_i. They are solved
    as one column of value r_i = ||(x_ij)_j|| with weights u_i (then W_j = x_ij / r_i · u_i:
    the same logits, the same penalty). A column without any training row has weight 0 at
    the optimum (the FAQ's own vocabulary)."""

    def __init__(self, sparse: csr_matrix) -> None:
        csc = sparse.tocsc().astype(np.float32)
        csc.eliminate_zeros()
        n, self.columns = csc.shape
        count = np.diff(csc.indptr)
        self.keep = np.flatnonzero(count > 1)
        self.single = np.flatnonzero(count == 1)
        first = csc.indptr[self.single]
        rows = csc.indices[first]
        values = csc.data[first].astype(np.float64)
        norm2 = np.bincount(rows, values * values, minlength=n)
        owners = np.flatnonzero(norm2 > 0)
        slot = np.full(n, -1, dtype=np.int64)
        slot[owners] = np.arange(len(owners))
        self.slot = slot[rows]  # each single column's merged column
        self.coef = (values / np.sqrt(norm2[rows])).astype(np.float32)
        self.owners = len(owners)
        merged = csr_matrix(
            (np.sqrt(norm2[owners]).astype(np.float32), (owners, np.arange(len(owners)))),
            shape=(n, len(owners)),
        )
        self.reduced = hstack([csc[:, self.keep], merged], format="csr", dtype=np.float32)

    def project(self, ws: np.ndarray) -> np.ndarray:
        """Weights of the full columns -> of the reduced ones (the nearest that the
        reduced problem can express: a warm start)."""
        out = np.empty((len(self.keep) + self.owners, ws.shape[1]), dtype=np.float32)
        out[: len(self.keep)] = ws[self.keep]
        gather = csr_matrix(
            (self.coef, (self.slot, np.arange(len(self.single)))),
            shape=(self.owners, len(self.single)),
        )
        out[len(self.keep) :] = gather @ ws[self.single]
        return out

    def expand(self, wr: np.ndarray) -> np.ndarray:
        """Weights of the reduced columns -> of every column."""
        out = np.zeros((self.columns, wr.shape[1]), dtype=np.float32)
        out[self.keep] = wr[: len(self.keep)]
        out[self.single] = self.coef[:, None] * wr[len(self.keep) + self.slot]
        return out


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(THREADS, thread_name_prefix="nlu-fit")


def _blocks(indptr: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Row ranges of a CSR matrix with about the same number of non-zeros each."""
    cuts = np.searchsorted(indptr, np.linspace(0, indptr[-1], parts + 1)[1:-1])
    edges = [0, *sorted(set(int(c) for c in cuts)), len(indptr) - 1]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


class _Problem:
    """The loss and its gradient, the sparse products and the softmax split over threads:
    by rows for the logits (each thread its rows' softmax), by features for the gradient."""

    def __init__(
        self,
        dense: np.ndarray,
        sparse: csr_matrix,
        y: np.ndarray,
        k: int,
        *,
        reg: float,
        offset: np.ndarray | None,
    ) -> None:
        n = len(y)
        self.n, self.k, self.reg = n, k, np.float32(reg)
        self.dense = dense
        self.d_dense, self.d_sparse = dense.shape[1], sparse.shape[1]
        self.size = (self.d_dense + self.d_sparse + 1) * k
        self.fixed = None if offset is None else np.asarray(offset, dtype=np.float32)
        self.z = np.empty((n, k), dtype=np.float32)
        self.rows = []
        for a, b in _blocks(sparse.indptr, THREADS):
            yb = y[a:b]
            own = yb < k  # rows whose class is one of the k learnt here
            self.rows.append((a, b, sparse[a:b], own, own.nonzero()[0], yb[own]))
        sparse_t = sparse.T.tocsr()  # X^T G is faster on a row-major transpose
        self.cols = [(a, b, sparse_t[a:b]) for a, b in _blocks(sparse_t.indptr, THREADS)]

    def loss_grad(self, w: np.ndarray, out: np.ndarray, weight: np.ndarray | None = None) -> float:
        """The loss at `w`; its gradient written into `out`. `weight`: per-row weights."""
        k, a = self.k, self.d_dense * self.k
        b = a + self.d_sparse * k
        wd, ws, bias = w[:a].reshape(-1, k), w[a:b].reshape(-1, k), w[b:]
        np.matmul(self.dense, wd, out=self.z)
        pool = _pool()
        loss = sum(pool.map(lambda part: self._softmax(part, ws, bias, weight), self.rows))
        loss /= self.n
        e = self.z  # now (p - onehot) / n per row, times `weight`
        gd, gs = out[:a].reshape(-1, k), out[a:b].reshape(-1, k)
        np.matmul(self.dense.T, e, out=gd)
        gd += self.reg * wd
        squares = sum(pool.map(lambda part: self._gradient(part, e, ws, gs), self.cols))
        np.sum(e, axis=0, out=out[b:])
        return loss + 0.5 * float(self.reg) * (_sq(wd) + squares)

    def _softmax(
        self, part: tuple, ws: np.ndarray, bias: np.ndarray, weight: np.ndarray | None
    ) -> float:  # type: ignore[type-arg]
        lo, hi, rows, own, own_rows, y_own = part
        z = self.z[lo:hi]
        z += rows @ ws
        z += bias
        top = z.max(axis=1)
        fixed = None if self.fixed is None else self.fixed[lo:hi]
        if fixed is not None:
            np.maximum(top, fixed, out=top)
        z -= top[:, None]
        # Per-row losses summed in float64: the solver compares losses that differ in the
        # 8th digit.
        target = np.empty(hi - lo, dtype=np.float64)
        target[own_rows] = z[own_rows, y_own]
        np.exp(z, out=z)
        s = z.sum(axis=1)
        if fixed is not None:
            rest = fixed - top
            s += np.exp(rest)
            target[~own] = rest[~own]
        per_row = np.log(s, dtype=np.float64) - target
        z /= s[:, None]
        z[own_rows, y_own] -= 1.0
        z /= np.float32(self.n)
        if weight is not None:
            per_row *= weight[lo:hi]
            z *= weight[lo:hi, None]
        return float(per_row.sum())

    def _gradient(self, part: tuple, e: np.ndarray, ws: np.ndarray, gs: np.ndarray) -> float:  # type: ignore[type-arg]
        lo, hi, cols = part
        g = gs[lo:hi]
        np.multiply(ws[lo:hi], self.reg, out=g)
        g += cols @ e
        return _sq(ws[lo:hi])


def _sq(a: np.ndarray) -> float:
    return float(np.einsum("ij,ij->", a, a, dtype=np.float64))


class _Vectors:
    """In-place algebra on the solver's long float32 vectors, each split over the threads
    (numpy's loops release the GIL; one scratch vector instead of a temporary per call)."""

    def __init__(self, size: int) -> None:
        step = -(-size // THREADS)
        self.parts = [slice(i, min(i + step, size)) for i in range(0, size, step)]
        self.scratch = np.empty(size, dtype=np.float32)

    def _each(self, fn: Callable[[slice], object]) -> None:
        for _ in _pool().map(fn, self.parts):
            pass

    def dot(self, a: np.ndarray, b: np.ndarray) -> float:
        return sum(float(np.dot(a[p], b[p])) for p in self.parts)  # one BLAS call each

    def axpy(self, alpha: float, x: np.ndarray, y: np.ndarray) -> None:
        """y += alpha · x"""
        self.step(y, y, alpha, x)

    def scale(self, x: np.ndarray, alpha: float) -> None:
        self._each(lambda p: np.multiply(x[p], np.float32(alpha), out=x[p]))

    def diff(self, out: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
        """out = a - b"""
        self._each(lambda p: np.subtract(a[p], b[p], out=out[p]))

    def step(self, out: np.ndarray, w: np.ndarray, alpha: float, d: np.ndarray) -> None:
        """out = w + alpha · d"""

        def part(p: slice) -> None:
            tmp = self.scratch[p]
            np.multiply(d[p], np.float32(alpha), out=tmp)
            np.add(w[p], tmp, out=out[p])

        self._each(part)

    def absmax(self, x: np.ndarray) -> float:
        return max(max(float(x[p].max()), -float(x[p].min())) for p in self.parts)


def _lbfgs(
    fun: Callable[[np.ndarray, np.ndarray], float], w: np.ndarray, *, tol: float, max_iter: int
) -> tuple[np.ndarray, int]:
    """Plain L-BFGS with a backtracking (Armijo) line search; stops at max |gradient| ≤ tol.
    Its vectors are allocated once (a dropped pair's are reused) and updated in place."""
    v = _Vectors(w.size)
    g = np.empty_like(w)
    f = fun(w, g)
    w_new, g_new, q = np.empty_like(w), np.empty_like(w), np.empty_like(w)
    pairs: list[tuple[np.ndarray, np.ndarray, float, float]] = []  # s, y, 1/s·y, s·y/y·y
    spare: list[np.ndarray] = []
    for it in range(1, max_iter + 1):
        if v.absmax(g) <= tol:
            return w, it - 1
        _two_loop(v, g, pairs, q)  # q = H·g; the direction is -q
        slope = -v.dot(g, q)
        if slope >= 0:  # not a descent direction: restart from the gradient
            for s, yv, _, _ in pairs:
                spare += [s, yv]
            pairs.clear()
            np.copyto(q, g)
            slope = -v.dot(g, g)
        step = 1.0 if pairs else min(1.0, 1.0 / max(float(np.abs(g).sum()), 1e-12))
        for _ in range(30):
            v.step(w_new, w, -step, q)
            f_new = fun(w_new, g_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            return w, it
        s = spare.pop() if spare else np.empty_like(w)
        yv = spare.pop() if spare else np.empty_like(w)
        v.diff(s, w_new, w)
        v.diff(yv, g_new, g)
        sy, yy = v.dot(s, yv), v.dot(yv, yv)
        # Keep the pair only where the curvature is clearly positive (relative to |y|², so
        # an update's tiny gradients still build a history).
        if sy > 1e-8 * yy:
            pairs.append((s, yv, 1.0 / sy, sy / yy))
            if len(pairs) > HISTORY:
                old = pairs.pop(0)
                spare += [old[0], old[1]]
        else:
            spare += [s, yv]
        if abs(f - f_new) <= 1e-9 * max(abs(f), 1.0):
            return w_new, it
        w, w_new, g, g_new, f = w_new, w, g_new, g, f_new
    return w, max_iter


def _two_loop(
    v: _Vectors, g: np.ndarray, pairs: list[tuple[np.ndarray, np.ndarray, float, float]],
    q: np.ndarray,
) -> None:  # fmt: skip
    """q = the L-BFGS inverse-Hessian estimate times g."""
    np.copyto(q, g)
    alphas = []
    for s, y, rho, _ in reversed(pairs):
        a = rho * v.dot(s, q)
        alphas.append(a)
        v.axpy(-a, y, q)
    if pairs:
        v.scale(q, pairs[-1][3])
    for (s, y, rho, _), a in zip(pairs, reversed(alphas), strict=True):
        b = rho * v.dot(y, q)
        v.axpy(a - b, s, q)

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
A full fit also solves a smaller problem with the same optimum (`_RowColumns`): an n-gram
found in one training example only (half of CLINC150's 63k columns) is merged with that
example's other such n-grams into one column, columns equal in every row into one, and
n-grams no training example has get no weight. Its products go through the character
block's factors (`_Factored`: a row's character n-grams are its words'), a third of the
non-zeros; L-BFGS's history is one matrix (`_History`). The products and the solver's vector
algebra run on `THREADS` threads (scipy's and BLAS's kernels release the GIL).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.linalg import solve_triangular
from scipy.sparse import csr_matrix

# scipy's CSR x dense kernel (what `csr @ ndarray` calls, after allocating zeros); it adds into
# its output, so a sum of products needs no temporaries. The version is pinned.
from scipy.sparse._sparsetools import csr_matvecs
from threadpoolctl import threadpool_limits

HISTORY = 6  # L-BFGS correction pairs (memory: 2 x HISTORY copies of the weights)
THREADS = 2  # the machine's cores a fit uses for its products and vector algebra
NEGLIGIBLE_LOGIT = 50.0  # a class this far below a row's best has probability 0 (see _softmax)


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
    factors: tuple[csr_matrix, csr_matrix] | None = None,
) -> tuple[Weights, int]:
    """Weights minimising the regularised cross-entropy; returns them and the iterations used.

    `offset` (one value per row): the log-sum-exp of the logits of classes whose weights are
    held fixed; they share the softmax, and a row with `y == n_classes` belongs to one of
    them. The weights found then minimise the whole model's objective over these classes'
    columns, the others fixed (what an update of a few intents solves).
    `settled` (a mask of rows, with `init`): rows that `init` was fitted to. Their gradient
    at `init` (what the earlier fit's tolerance left over) is taken out of the objective, so
    the solver follows what the other rows — an operator's new examples — ask for: the
    mean gradient of one new example among 15,000 is smaller than that remainder.
    `factors` (left, right): most of `sparse` as the product left @ right (the character
    n-grams as the words of each row times the n-grams of each word, see
    `Featurizer.char_factors`); the solver's products then go through the factors and what
    they leave out, the same matrix to rounding but a fraction of the non-zeros."""
    n, d_dense = dense.shape
    dense = np.ascontiguousarray(dense, dtype=np.float32)
    # An update (`offset`, `settled`) solves a few columns: cheap without the merge, and its
    # shift of the objective stays in the columns the caller knows.
    merged = _RowColumns(sparse) if offset is None and settled is None else None
    work = merged.reduced if merged is not None else csr_matrix(sparse, dtype=np.float32)
    product = _Factored.of(work, factors, merged) if factors is not None else None
    problem = _Problem(
        dense, product or _Factored(work), y, n_classes, reg=1.0 / (c * n), offset=offset
    )
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
    # BLAS gets one thread for the fit: the products are shared out on our own THREADS, and
    # OpenBLAS's idle threads busy-wait between its calls (a loss evaluation makes several
    # each), which took a core from ours on two cores (CLINC150: 10.7-11.5 s of CPU and
    # 8.3-10.3 s of wall clock with them, 6.7-7.2 s of both without, the same iterates).
    with threadpool_limits(1, user_api="blas"):
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
    the same logits, the same penalty). Likewise m columns equal in every row (the n-grams of
    a word found in the same rows only, e.g. "bala", "alan", "lanc" of "balance") have equal
    weights at the optimum: one column √m times theirs, each weight 1/√m of its. A column
    without any training row has weight 0 at the optimum (the FAQ's own vocabulary).
    Each column j with rows goes to one reduced column `target[j]` with factor `coef[j]`
    (reduced = X @ P, P[j, target[j]] = coef[j]); as the maps are isometries of the subspace
    where the solver's iterates lie, L-BFGS takes the same steps on either problem."""

    def __init__(self, sparse: csr_matrix) -> None:
        csc = sparse.tocsc().astype(np.float32)
        csc.eliminate_zeros()
        csc.sort_indices()
        n, self.columns = csc.shape
        count = np.diff(csc.indptr)
        keep = np.flatnonzero(count > 1)
        single = np.flatnonzero(count == 1)
        first = csc.indptr[single]
        rows = csc.indices[first]
        values = csc.data[first].astype(np.float64)
        norm2 = np.bincount(rows, values * values, minlength=n)
        owners = np.flatnonzero(norm2 > 0)
        slot = np.full(n, -1, dtype=np.int64)
        slot[owners] = np.arange(len(owners))
        group, sizes = _equal_columns(csc, keep)  # each kept column's group, groups' sizes
        self.target = np.full(self.columns, -1, dtype=np.int64)
        self.coef = np.zeros(self.columns, dtype=np.float32)
        self.target[keep] = group
        self.coef[keep] = 1 / np.sqrt(sizes[group])
        self.target[single] = len(sizes) + slot[rows]
        self.coef[single] = values / np.sqrt(norm2[rows])
        self.size = len(sizes) + len(owners)
        mapped = np.flatnonzero(self.target >= 0)
        self.mapped = mapped
        self.to_reduced = csr_matrix(
            (self.coef[mapped], (mapped, self.target[mapped])), shape=(self.columns, self.size)
        )
        self.reduced = csr_matrix(csc @ self.to_reduced, dtype=np.float32)

    def reduce_columns(self, m: csr_matrix) -> csr_matrix:
        """`m` with its columns (the full ones; fewer are taken as the first) turned into the
        reduced ones."""
        full = csr_matrix((m.data, m.indices, m.indptr), shape=(m.shape[0], self.columns))
        return csr_matrix(full @ self.to_reduced, dtype=np.float32)

    def project(self, ws: np.ndarray) -> np.ndarray:
        """Weights of the full columns -> of the reduced ones (the nearest that the
        reduced problem can express: a warm start)."""
        return np.asarray(self.to_reduced.T @ ws, dtype=np.float32)

    def expand(self, wr: np.ndarray) -> np.ndarray:
        """Weights of the reduced columns -> of every column."""
        out = np.zeros((self.columns, wr.shape[1]), dtype=np.float32)
        out[self.mapped] = self.coef[self.mapped, None] * wr[self.target[self.mapped]]
        return out


def _equal_columns(csc: csr_matrix, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups of equal columns (same rows, same values) among `columns` of a CSC matrix with
    sorted indices: each column's group (numbered by first member) and the groups' sizes.
    Candidates share two random projections; each is then compared entry by entry."""
    rng = np.random.default_rng(0)
    sub = csc[:, columns]
    probe = rng.standard_normal((csc.shape[0], 2))
    keys = np.asarray(sub.T @ probe)
    counts = np.diff(sub.indptr)
    order = np.lexsort((keys[:, 1], keys[:, 0], counts))
    k, c = keys[order], counts[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (k[1:] != k[:-1]).any(axis=1) | (c[1:] != c[:-1])
    head = order[np.maximum.accumulate(np.where(new, np.arange(len(order)), 0))]
    rep = np.empty(len(order), dtype=np.int64)
    rep[order] = head  # each column's candidate representative (positions in `columns`)
    # Entry by entry: the column and its representative.
    length = counts
    offsets = np.arange(int(length.sum())) - np.repeat(np.cumsum(length) - length, length)
    mine = np.repeat(sub.indptr[:-1], length) + offsets
    theirs = np.repeat(sub.indptr[:-1][rep], length) + offsets
    differs = (sub.indices[mine] != sub.indices[theirs]) | (sub.data[mine] != sub.data[theirs])
    bad = np.bincount(np.repeat(np.arange(len(columns)), length), differs, len(columns)) > 0
    rep[bad] = np.flatnonzero(bad)  # a false candidate stays a column of its own
    _, group = np.unique(rep, return_inverse=True)
    return group, np.bincount(group).astype(np.float64)


class _Factored:
    """The solver's n-gram matrix X as left @ right + rest, so that X @ W = left @ (right @ W)
    + rest @ W and X^T @ E = right^T @ (left^T @ E) + rest^T @ E. Without factors, rest = X.
    With them (a row's character n-grams are the n-grams of its words: left is rows x words,
    right words x n-grams), rest holds what the product does not give (an n-gram found in two
    words of a row, whose TF is not the sum) and the word block: CLINC150's 1.83 million
    non-zeros become about 0.6 million. Entries of X - left @ right below 1e-6 of the row's
    largest value are rounding, and left out."""

    def __init__(
        self, rest: csr_matrix, left: csr_matrix | None = None, right: csr_matrix | None = None
    ) -> None:
        self.rest = rest
        self.left = left
        self.right = right
        self.shape = rest.shape

    @classmethod
    def of(
        cls, x: csr_matrix, factors: tuple[csr_matrix, csr_matrix], merged: _RowColumns | None
    ) -> _Factored | None:
        """The factored form of `x` (the reduced matrix when `merged`), or None when the factors
        save too little."""
        left = csr_matrix(factors[0], dtype=np.float32)
        right = csr_matrix(factors[1], dtype=np.float32)
        if merged is not None:
            right = merged.reduce_columns(right)
        else:
            shape = (right.shape[0], x.shape[1])
            right = csr_matrix((right.data, right.indices, right.indptr), shape=shape)
        if left.shape[0] != x.shape[0] or left.shape[1] != right.shape[0]:
            raise ValueError("factors do not match the sparse block")
        rest = csr_matrix(x - left @ right, dtype=np.float32)
        scale = np.asarray(abs(x).max(axis=1).todense(), dtype=np.float32).ravel()
        rows = np.repeat(np.arange(rest.shape[0]), np.diff(rest.indptr))
        rest.data[np.abs(rest.data) <= np.float32(1e-6) * scale[rows]] = 0
        rest.eliminate_zeros()
        if left.nnz + right.nnz + rest.nnz > 0.75 * x.nnz:
            return None
        return cls(rest, left, right)


def _add_product(x: csr_matrix, w: np.ndarray, out: np.ndarray) -> None:
    """out += x @ w, by scipy's own kernel accumulating into `out` (no temporary)."""
    if not (out.flags.c_contiguous and w.flags.c_contiguous and out.dtype == w.dtype == x.dtype):
        out += x @ w
        return
    csr_matvecs(x.shape[0], x.shape[1], w.shape[1], x.indptr, x.indices, x.data,
                w.reshape(-1), out.reshape(-1))  # fmt: skip


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(THREADS, thread_name_prefix="nlu-fit")


def _blocks(indptr: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Row ranges of a CSR matrix with about the same number of non-zeros each."""
    cuts = np.searchsorted(indptr, np.linspace(0, indptr[-1], parts + 1)[1:-1])
    edges = [0, *sorted(set(int(c) for c in cuts)), len(indptr) - 1]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


class _Problem:
    """The loss and its gradient, the products and the softmax split over threads: by rows
    for the logits (each thread its rows' embedding and sparse products and softmax), by
    features for the gradient (each thread its sparse features and a share of the embedding's
    dimensions), and the factors' inner products (`_Factored`) by their rows before each."""

    def __init__(
        self,
        dense: np.ndarray,
        sparse: _Factored,
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
        rest, left, right = sparse.rest, sparse.left, sparse.right
        # X^T G is faster on a row-major transpose.
        rest_t = rest.T.tocsr()
        self.inner: list[tuple[int, int, csr_matrix]] = []  # right's row blocks
        self.inner_t: list[tuple[int, int, csr_matrix]] = []  # left^T's row blocks
        self.middle = np.empty((0, k), dtype=np.float32)  # right @ W, then left^T @ E
        right_t = None
        if left is not None and right is not None:
            left_t = left.T.tocsr()
            right_t = right.T.tocsr()
            self.middle = np.empty((right.shape[0], k), dtype=np.float32)
            self.inner = [(a, b, right[a:b]) for a, b in _blocks(right.indptr, THREADS)]
            self.inner_t = [(a, b, left_t[a:b]) for a, b in _blocks(left_t.indptr, THREADS)]
            row_nnz = rest.indptr + left.indptr
            col_nnz = rest_t.indptr + right_t.indptr
        else:
            row_nnz, col_nnz = rest.indptr, rest_t.indptr
        # A row's embedding costs about as much as 32 of its non-zeros (BLAS against scipy's
        # sparse kernel, per class).
        row_cost = row_nnz + np.arange(n + 1) * (self.d_dense // 12)
        self.rows = []
        for a, b in _blocks(row_cost, THREADS):
            yb = y[a:b]
            own = yb < k  # rows whose class is one of the k learnt here
            row_products: list[tuple[csr_matrix, np.ndarray | None]] = [(rest[a:b], None)]
            if left is not None:
                row_products.append((left[a:b], self.middle))
            self.rows.append((a, b, row_products, own, own.nonzero()[0], yb[own]))
        # By sparse features, each part also a share of the embedding's rows of W. A column
        # costs about as much as 10 non-zeros of its own (its penalty and its squares).
        col_cost = col_nnz + np.arange(self.d_sparse + 1) * 10
        col_blocks = _blocks(col_cost, THREADS) or [(0, 0)]
        step = -(-self.d_dense // len(col_blocks))
        self.cols = []
        for i, (a, b) in enumerate(col_blocks):
            col_products: list[tuple[csr_matrix, np.ndarray | None]] = [(rest_t[a:b], None)]
            if right_t is not None:
                col_products.append((right_t[a:b], self.middle))
            dense_rows = slice(i * step, min((i + 1) * step, self.d_dense))
            self.cols.append((a, b, col_products, dense_rows))

    def loss_grad(self, w: np.ndarray, out: np.ndarray, weight: np.ndarray | None = None) -> float:
        """The loss at `w`; its gradient written into `out`. `weight`: per-row weights."""
        k, a = self.k, self.d_dense * self.k
        b = a + self.d_sparse * k
        wd, ws, bias = w[:a].reshape(-1, k), w[a:b].reshape(-1, k), w[b:]
        pool = _pool()
        self._inner(self.inner, ws)  # middle = right @ W
        loss = sum(pool.map(lambda part: self._softmax(part, wd, ws, bias, weight), self.rows))
        loss /= self.n
        e = self.z  # now (p - onehot) / n per row, times `weight`
        self._inner(self.inner_t, e)  # middle = left^T @ E
        gd, gs = out[:a].reshape(-1, k), out[a:b].reshape(-1, k)
        squares = sum(pool.map(lambda part: self._gradient(part, e, wd, ws, gd, gs), self.cols))
        np.sum(e, axis=0, out=out[b:])
        return loss + 0.5 * float(self.reg) * squares

    def _inner(self, blocks: list[tuple[int, int, csr_matrix]], x: np.ndarray) -> None:
        def part(block: tuple[int, int, csr_matrix]) -> None:
            lo, hi, m = block
            self.middle[lo:hi] = 0
            _add_product(m, x, self.middle[lo:hi])

        for _ in _pool().map(part, blocks):
            pass

    def _softmax(
        self,
        part: tuple,  # type: ignore[type-arg]
        wd: np.ndarray,
        ws: np.ndarray,
        bias: np.ndarray,
        weight: np.ndarray | None,
    ) -> float:
        lo, hi, products, own, own_rows, y_own = part
        z = self.z[lo:hi]
        np.matmul(self.dense[lo:hi], wd, out=z)
        for m, x in products:
            _add_product(m, ws if x is None else x, z)
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
        # A probability below e^-50 of the row's largest is 0 here (1e-15 of float32's
        # precision in the row's sum). Left in, the early steps' far-off classes gave
        # subnormal floats (below 1.2e-38, once divided by n) in the residuals, and every
        # product with one takes a microcode assist on Intel cores: CLINC150's fit took
        # 17-19 s of CPU on a Xeon instead of 7.5 s (the AMD EPYC it was tuned on hid it).
        np.copyto(z, -np.inf, where=z < -NEGLIGIBLE_LOGIT)
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

    def _gradient(
        self,
        part: tuple,  # type: ignore[type-arg]
        e: np.ndarray,
        wd: np.ndarray,
        ws: np.ndarray,
        gd: np.ndarray,
        gs: np.ndarray,
    ) -> float:
        """The gradient of the part's sparse rows of W and of a share of its dense rows;
        their penalty's squares."""
        lo, hi, products, d = part
        g = gs[lo:hi]
        np.multiply(ws[lo:hi], self.reg, out=g)
        for m, x in products:
            _add_product(m, e if x is None else x, g)
        np.matmul(self.dense[:, d].T, e, out=gd[d])
        gd[d] += self.reg * wd[d]
        return _sq(ws[lo:hi]) + _sq(wd[d])


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

    def _each_block(self, fn: Callable[[int, slice], object]) -> list[object]:
        return list(_pool().map(fn, range(len(self.parts)), self.parts))

    def dot(self, a: np.ndarray, b: np.ndarray) -> float:
        return sum(_pool().map(lambda p: float(np.dot(a[p], b[p])), self.parts))

    def axpy(self, alpha: float, x: np.ndarray, y: np.ndarray) -> None:
        """y += alpha · x"""
        self.step(y, y, alpha, x)

    def scale(self, x: np.ndarray, alpha: float) -> None:
        self._each(lambda p: np.multiply(x[p], np.float32(alpha), out=x[p]))

    def blocks(self, rows: int) -> list[np.ndarray]:
        """A matrix of `rows` such vectors as one C-contiguous block per thread (its share of
        the columns): numpy's `dot` of a block and a vector runs BLAS without the GIL, while
        `matmul` of a matrix and a vector keeps it (the threads took turns: 7 ms a product),
        and `dot` of a strided slice of one big matrix copies it first."""
        return [np.zeros((rows, p.stop - p.start), dtype=np.float32) for p in self.parts]

    def diffs(self, blocks: list[np.ndarray], row: int, a: np.ndarray, b: np.ndarray) -> None:
        """Row `row` of `blocks` = a - b"""
        self._each_block(lambda i, p: np.subtract(a[p], b[p], out=blocks[i][row]))

    def step(self, out: np.ndarray, w: np.ndarray, alpha: float, d: np.ndarray) -> None:
        """out = w + alpha · d"""

        def part(p: slice) -> None:
            tmp = self.scratch[p]
            np.multiply(d[p], np.float32(alpha), out=tmp)
            np.add(w[p], tmp, out=out[p])

        self._each(part)

    def rows_times(self, blocks: list[np.ndarray], used: int, x: np.ndarray | int) -> np.ndarray:
        """The first `used` rows of `blocks` times x (float64): x a vector, or a row of
        `blocks`; each thread its block."""

        def part(i: int, p: slice) -> np.ndarray:
            block = blocks[i]
            return np.dot(block[:used], x[p] if isinstance(x, np.ndarray) else block[x])

        parts = self._each_block(part)
        return np.sum([np.asarray(part, dtype=np.float64) for part in parts], axis=0)

    def combine(self, coef: np.ndarray, blocks: list[np.ndarray], out: np.ndarray) -> None:
        """out = coef @ (the first len(coef) rows of `blocks`), each thread its block."""
        self._each_block(lambda i, p: np.matmul(coef, blocks[i][: len(coef)], out=out[p]))

    def absmax(self, x: np.ndarray) -> float:
        return max(_pool().map(lambda p: max(float(x[p].max()), -float(x[p].min())), self.parts))


def _lbfgs(
    fun: Callable[[np.ndarray, np.ndarray], float], w: np.ndarray, *, tol: float, max_iter: int
) -> tuple[np.ndarray, int]:
    """Plain L-BFGS with a backtracking (Armijo) line search; stops at max |gradient| ≤ tol.
    Its vectors are allocated once and updated in place; the history is `_History`."""
    v = _Vectors(w.size)
    g = np.empty_like(w)
    f = fun(w, g)
    w_new, g_new, q = np.empty_like(w), np.empty_like(w), np.empty_like(w)
    history = _History(w.size, HISTORY, v)
    for it in range(1, max_iter + 1):
        if v.absmax(g) <= tol:
            return w, it - 1
        history.times(g, q)  # q = H·g; the direction is -q
        slope = -v.dot(g, q)
        if slope >= 0:  # not a descent direction: restart from the gradient
            history.clear()
            np.copyto(q, g)
            slope = -v.dot(g, g)
        step = 1.0 if history.pairs else min(1.0, 1.0 / max(float(np.abs(g).sum()), 1e-12))
        for _ in range(30):
            v.step(w_new, w, -step, q)
            f_new = fun(w_new, g_new)
            if f_new <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            return w, it
        history.add(w_new, w, g_new, g)
        if abs(f - f_new) <= 1e-9 * max(abs(f), 1.0):
            return w_new, it
        w, w_new, g, g_new, f = w_new, w, g_new, g, f_new
    return w, max_iter


class _History:
    """L-BFGS's last pairs (s: step, y: change of gradient) as the rows of one matrix (kept as
    one block per thread, `_Vectors.blocks`), s and y of a pair side by side. The
    inverse-Hessian estimate times a vector is then the compact form of Byrd, Nocedal and
    Schnabel (1994) — one matrix-vector product for all the pairs' dot products, a few small
    solves, one product back — instead of the two loops' dot and update per pair (the same
    vector in exact arithmetic, half the passes over memory). A new pair takes the oldest
    one's slot once there are `m`; one refused for its curvature (never seen on this convex
    objective, whose line search keeps s·y > 0) leaves its slot empty."""

    def __init__(self, size: int, m: int, v: _Vectors) -> None:
        self.m, self.v = m, v
        self.rows = v.blocks(2 * m)
        self.pairs: list[int] = []  # slots in use, oldest first
        self.sy = np.zeros((m, m))  # s of slot i · y of slot j (i not newer than j)
        self.yy = np.zeros((m, m))

    def clear(self) -> None:
        self.pairs.clear()

    def add(self, w_new: np.ndarray, w: np.ndarray, g_new: np.ndarray, g: np.ndarray) -> None:
        if len(self.pairs) == self.m:
            slot = self.pairs.pop(0)
        else:
            slot = min(set(range(self.m)) - set(self.pairs))
        self.v.diffs(self.rows, 2 * slot, w_new, w)  # s
        self.v.diffs(self.rows, 2 * slot + 1, g_new, g)  # y
        used = 2 * (max([slot, *self.pairs]) + 1)
        dots = self.v.rows_times(self.rows, used, 2 * slot + 1)  # every row · the new y
        sy, yy = dots[2 * slot], dots[2 * slot + 1]
        # Keep the pair only where the curvature is clearly positive (relative to |y|², so
        # an update's tiny gradients still build a history).
        if not sy > 1e-8 * yy:
            return
        for other in self.pairs:
            self.sy[other, slot] = dots[2 * other]
            self.yy[other, slot] = self.yy[slot, other] = dots[2 * other + 1]
        self.sy[slot, slot], self.yy[slot, slot] = sy, yy
        self.pairs.append(slot)

    def times(self, g: np.ndarray, out: np.ndarray) -> None:
        """out = H·g"""
        if not self.pairs:
            np.copyto(out, g)
            return
        order = np.asarray(self.pairs)
        used = 2 * (int(order.max()) + 1)
        dots = self.v.rows_times(self.rows, used, g)
        a, b = dots[2 * order], dots[2 * order + 1]  # S^T g, Y^T g
        r = np.triu(self.sy[np.ix_(order, order)])
        yy = self.yy[np.ix_(order, order)]
        last = order[-1]
        gamma = self.sy[last, last] / self.yy[last, last]
        u = solve_triangular(r, a)
        p = solve_triangular(r, (np.diag(r) * u + gamma * (yy @ u)) - gamma * b, trans="T")
        coef = np.zeros(used, dtype=np.float32)
        coef[2 * order] = p
        coef[2 * order + 1] = -gamma * u
        self.v.combine(coef, self.rows, out)
        self.v.axpy(gamma, g, out)

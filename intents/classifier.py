"""Intent classifier: sentence embeddings + character n-grams + lemmas, one linear model.

Training validates the data once and fits a multinomial logistic regression
(`intents.training`); prediction is numpy on the fitted weights — a product with the
embedding block, one with the sparse block, a softmax — with no per-call library checks.
A full retrain can start from a previous classifier's weights (matched by intent and by
feature name); an operator's edit re-solves only the intents it touched (`update`), the other
intents' weights held fixed, which costs products with a few weight columns, not a refit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix

from intents.data import FALLBACK
from intents.features import Featurizer
from intents.training import Weights, fit_logistic

# Below this top confidence a message is out of scope. Chosen on the held-out pl/en sets
# (intents/data/heldout_*.jsonl) so that in-scope recall stays high; see README.
DEFAULT_OOS_THRESHOLD = 0.35
DEFAULT_TOL = 1e-4  # max |gradient| of the mean loss at which the solver stops
# An update's few columns are cheap to solve, and one new example among thousands moves the
# mean gradient by less than DEFAULT_TOL: it is solved that much tighter.
UPDATE_TOL = 1e-6
# Weight of the L2-normalised sentence embedding against the two TF-IDF blocks (each of norm
# 1). Above 1 the model leans on the encoder more: with int8, BANKING77 10-shot +1.4 points,
# full +0.3, Polish held-out in scope 93.6 -> 95.3 % (benchmarks/nlu_bench.py).
EMBEDDING_WEIGHT = 1.25


@dataclass(frozen=True)
class Prediction:
    ranking: list[tuple[str, float]]  # best first, FALLBACK excluded
    oos_probability: float  # probability mass of the trained out-of-scope class (0 without one)


class IntentClassifier:
    """Fit on (texts, labels, embeddings); predict a ranking with probabilities."""

    def __init__(
        self,
        *,
        embedding_weight: float = EMBEDDING_WEIGHT,
        c: float = 20.0,
        oos_threshold: float = DEFAULT_OOS_THRESHOLD,
        max_iter: int = 1000,
        tol: float | None = None,
    ) -> None:
        self.embedding_weight = embedding_weight
        self.c = c
        self.oos_threshold = oos_threshold
        self.tol = tol
        self.max_iter = max_iter
        self.featurizer = Featurizer()
        self.classes: list[str] = []
        self.iterations = 0
        self._weights: Weights | None = None
        self._learnt = 0  # the first sparse columns, which have weights (the rest stay 0)
        self._oos_col = -1

    def fit(
        self,
        texts: Sequence[str],
        labels: Sequence[str],
        embeddings: np.ndarray,
        *,
        extra_texts: Sequence[str] = (),
        previous: IntentClassifier | None = None,
        featurizer: Featurizer | None = None,
        sparse: csr_matrix | None = None,
    ) -> IntentClassifier:
        """Train. `extra_texts` join the vocabulary only (e.g. FAQ questions, so the FAQ is
        searched in the same feature space); `previous` is a classifier to start from;
        `featurizer` a fitted one to keep (then `sparse` may be its rows of `texts`)."""
        if len(texts) != len(labels) or len(texts) != len(embeddings):
            raise ValueError("texts, labels and embeddings must have the same length")
        if len(set(labels)) < 2:
            raise ValueError("need examples of at least two intents to train")
        dense = np.asarray(embeddings, dtype=np.float32)
        if dense.ndim != 2 or not np.isfinite(dense).all():
            raise ValueError("embeddings must be a finite 2-D array")
        if featurizer is not None:
            self.featurizer = featurizer
            if sparse is None:
                sparse = featurizer.transform(list(texts))
        else:
            sparse = self.featurizer.fit_transform([*texts, *extra_texts])[: len(texts)]
        # The character block as a product (the featurizer's fit's first rows, which `sparse`
        # is, or any rows: the solver adds what the product leaves out).
        factors = self.featurizer.char_factors(len(texts))
        # The synonym-group block is the FAQ's: its columns get no weight.
        learnt = self.featurizer.classifier_columns
        sparse = sparse[:, :learnt]
        self.classes = sorted({str(label) for label in labels})
        index = {c: i for i, c in enumerate(self.classes)}
        y = np.fromiter((index[str(label)] for label in labels), dtype=np.int64, count=len(labels))
        # Looser tolerances leave borderline out-of-scope messages on the wrong side.
        tol = self.tol if self.tol is not None else DEFAULT_TOL
        init = self._carry_over(previous, dense.shape[1], learnt) if previous else None
        weights, self.iterations = fit_logistic(
            dense * np.float32(self.embedding_weight),
            sparse,
            y,
            len(self.classes),
            c=self.c,
            tol=tol,
            max_iter=self.max_iter,
            init=init,
            factors=factors,
        )
        # Scale the embedding rows once, so prediction multiplies raw embeddings; the rows of
        # the columns left out stay 0, so prediction multiplies whole feature rows.
        weights.dense *= np.float32(self.embedding_weight)
        full = np.zeros((self.featurizer.size, len(self.classes)), dtype=np.float32)
        full[:learnt] = weights.sparse
        weights.sparse = full
        self._weights = weights
        self._learnt = learnt
        self._oos_col = index.get(FALLBACK, -1)
        return self

    def update(
        self,
        previous: IntentClassifier,
        labels: Sequence[str],
        embeddings: np.ndarray,
        sparse: csr_matrix,
        changed: set[str],
        added: np.ndarray | None = None,
    ) -> IntentClassifier:
        """Train by re-solving only the intents in `changed` (and new ones) with every other
        intent's weights kept from `previous`, on all rows (`sparse`: rows of `previous`'s
        featurizer). This is the full objective minimised over those intents' weights, so an
        operator's edit to one intent costs products with one column, not a refit. `added`:
        a mask of the rows `previous` was not trained on (the solver follows them)."""
        old = previous._weights
        if old is None:
            raise RuntimeError("the previous classifier is not trained")
        self.featurizer = previous.featurizer
        self._learnt = learnt = previous._learnt
        self.classes = sorted({str(label) for label in labels})
        index = {c: i for i, c in enumerate(self.classes)}
        old_index = {c: i for i, c in enumerate(previous.classes)}
        learn = [c for c in self.classes if c in changed or c not in old_index]
        fixed = [c for c in self.classes if c not in learn]
        if len(fixed) < 1:
            raise ValueError("an update needs at least one intent left as it was")
        if all(c in old_index for c in self.classes):  # one copy of the previous weights
            order = np.asarray([old_index[c] for c in self.classes], dtype=np.int64)
            weights = Weights(old.dense[:, order], old.sparse[:, order], old.bias[order])
        else:  # new intents start from zero
            weights = Weights.zeros(old.dense.shape[0], old.sparse.shape[0], len(self.classes))
            known = [(index[c], old_index[c]) for c in self.classes if c in old_index]
            new_cols, old_cols = (np.asarray(p) for p in zip(*known, strict=True))
            weights.dense[:, new_cols] = old.dense[:, old_cols]
            weights.sparse[:, new_cols] = old.sparse[:, old_cols]
            weights.bias[new_cols] = old.bias[old_cols]
        self._weights = weights
        self._oos_col = index.get(FALLBACK, -1)
        self.iterations = 0
        if not learn:
            return self
        dense = np.asarray(embeddings, dtype=np.float32)
        cols = np.asarray([index[c] for c in learn], dtype=np.int64)
        # The fixed intents' logits enter the softmax as one log-sum-exp per row.
        z = dense @ weights.dense
        z += sparse @ weights.sparse
        z += weights.bias
        z[:, cols] = -np.inf
        top = z.max(axis=1)
        z -= top[:, None]
        np.exp(z, out=z)
        offset = top + np.log(z.sum(axis=1))
        position = {c: i for i, c in enumerate(learn)}
        y = np.fromiter((position.get(str(label), len(learn)) for label in labels),
                        dtype=np.int64, count=len(labels))  # fmt: skip
        ew = np.float32(self.embedding_weight)
        init = Weights(weights.dense[:, cols] / ew, weights.sparse[:learnt, cols],
                       weights.bias[cols])  # fmt: skip
        solved, self.iterations = fit_logistic(
            dense * ew, sparse[:, :learnt], y, len(learn), c=self.c, tol=UPDATE_TOL,
            max_iter=self.max_iter, init=init, offset=offset,
            settled=None if added is None else ~added,
        )  # fmt: skip
        weights.dense[:, cols] = solved.dense * ew
        weights.sparse[:learnt, cols] = solved.sparse
        weights.bias[cols] = solved.bias
        return self

    def _carry_over(self, previous: IntentClassifier, d_dense: int, learnt: int) -> Weights | None:
        """Start weights from `previous`, for the intents and features both models know
        (sparse rows: the first `learnt` columns, which this fit learns)."""
        old = previous._weights
        if old is None or old.dense.shape[0] != d_dense:
            return None
        init = Weights.zeros(d_dense, learnt, len(self.classes))
        old_classes = {c: i for i, c in enumerate(previous.classes)}
        pairs = [(i, old_classes[c]) for i, c in enumerate(self.classes) if c in old_classes]
        if not pairs:
            return None
        new_cols, old_cols = (np.asarray(p) for p in zip(*pairs, strict=True))
        if previous.featurizer is self.featurizer:
            rows = np.arange(learnt)
        else:
            old_names = {n: i for i, n in enumerate(previous.featurizer.names())}
            names = self.featurizer.names()[:learnt]
            rows = np.fromiter((old_names.get(n, -1) for n in names), np.int64, learnt)
        known = rows >= 0
        init.dense[:, new_cols] = old.dense[:, old_cols] / np.float32(previous.embedding_weight)
        init.sparse[np.ix_(known.nonzero()[0], new_cols)] = old.sparse[
            np.ix_(rows[known], old_cols)
        ]
        init.bias[new_cols] = old.bias[old_cols]
        return init

    # -- prediction -------------------------------------------------------------------------

    def probabilities(self, embeddings: np.ndarray, sparse: csr_matrix) -> np.ndarray:
        """Class probabilities (rows: messages, columns: `classes`) from precomputed features."""
        w = self._weights
        if w is None:
            raise RuntimeError("the classifier is not trained")
        z = np.asarray(embeddings, dtype=np.float32) @ w.dense
        z += sparse @ w.sparse
        z += w.bias
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def rank(self, probs: np.ndarray, limit: int | None = None) -> list[Prediction]:
        """Rankings from `probabilities` (the best `limit` intents, or all)."""
        out = []
        col = self._oos_col
        for row in probs:
            order = np.argsort(-row, kind="stable")
            if limit is not None:
                order = order[: limit + 1]
            ranking = [(self.classes[i], float(row[i])) for i in order if i != col]
            out.append(Prediction(ranking, float(row[col]) if col >= 0 else 0.0))
        return out

    def predict(self, texts: Sequence[str], embeddings: np.ndarray) -> list[Prediction]:
        sparse = self.featurizer.transform(list(texts))
        return self.rank(self.probabilities(embeddings, sparse))

    def is_out_of_scope(self, pred: Prediction, threshold: float | None = None) -> bool:
        """Out of scope when the trained OOS class wins or the best intent is too unsure."""
        limit = self.oos_threshold if threshold is None else threshold
        top = pred.ranking[0][1] if pred.ranking else 0.0
        return pred.oos_probability >= top or top < limit

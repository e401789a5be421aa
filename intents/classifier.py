"""Intent classifier: sentence embeddings + character n-grams + lemmas, one linear model.

Training validates the data once and fits a multinomial logistic regression
(`intents.training`); prediction is numpy on the fitted weights — a product with the
embedding block, one with the sparse block, a softmax — with no per-call library checks.
A retrain can start from a previous classifier's weights (matched by intent and by feature
name), so an operator's single edit costs a few solver iterations, not a fit from zero.
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
        min_iter: int = 0,
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
        sparse = _only_classifier_columns(sparse, self.featurizer.classifier_columns)
        self.classes = sorted({str(label) for label in labels})
        index = {c: i for i, c in enumerate(self.classes)}
        y = np.fromiter((index[str(label)] for label in labels), dtype=np.int64, count=len(labels))
        # Looser tolerances leave borderline out-of-scope messages on the wrong side.
        tol = self.tol if self.tol is not None else DEFAULT_TOL
        init = self._carry_over(previous, dense.shape[1]) if previous is not None else None
        weights, self.iterations = fit_logistic(
            dense * np.float32(self.embedding_weight),
            sparse,
            y,
            len(self.classes),
            c=self.c,
            tol=tol,
            max_iter=self.max_iter,
            init=init,
            min_iter=min_iter,
        )
        # Scale the embedding rows once, so prediction multiplies raw embeddings.
        weights.dense *= np.float32(self.embedding_weight)
        self._weights = weights
        self._oos_col = index.get(FALLBACK, -1)
        return self

    def _carry_over(self, previous: IntentClassifier, d_dense: int) -> Weights | None:
        """Start weights from `previous`, for the intents and features both models know."""
        old = previous._weights
        if old is None or old.dense.shape[0] != d_dense:
            return None
        init = Weights.zeros(d_dense, self.featurizer.size, len(self.classes))
        old_classes = {c: i for i, c in enumerate(previous.classes)}
        pairs = [(i, old_classes[c]) for i, c in enumerate(self.classes) if c in old_classes]
        if not pairs:
            return None
        new_cols, old_cols = (np.asarray(p) for p in zip(*pairs, strict=True))
        if previous.featurizer is self.featurizer:
            rows = np.arange(self.featurizer.size)
        else:
            old_names = {n: i for i, n in enumerate(previous.featurizer.names())}
            rows = np.fromiter((old_names.get(n, -1) for n in self.featurizer.names()), np.int64)
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


def _only_classifier_columns(sparse: csr_matrix, n: int) -> csr_matrix:
    """The rows with the columns from `n` on zeroed: their weights then stay exactly 0, so
    prediction can multiply the featurizer's full rows without slicing them."""
    out = sparse.copy()
    out.data[out.indices >= n] = 0.0
    out.eliminate_zeros()
    return out

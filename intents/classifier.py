"""Intent classifier: sentence embeddings + character n-grams + lemmas, one linear model.

The default encoder is English-only, so Polish is carried by language-agnostic views of
the text: character n-grams of the diacritic-free text (robust to typos and missing
Polish letters) and word n-grams of simplemma lemmas (robust to inflection).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix, hstack
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from intents.data import FALLBACK
from intents.text import fold, lemmatized

# Below this top confidence a message is out of scope. Chosen on the held-out pl/en sets
# (intents/data/heldout_*.jsonl) so that in-scope recall stays high; see README.
DEFAULT_OOS_THRESHOLD = 0.35
SMALL_SET = 3000
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
        self._chars = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, dtype=np.float32
        )
        self._words = TfidfVectorizer(
            analyzer="word",
            ngram_range=(1, 2),
            sublinear_tf=True,
            token_pattern=r"\S+",
            dtype=np.float32,
        )
        self.tol = tol
        self.max_iter = max_iter
        self._model = LogisticRegression(C=c, max_iter=max_iter)
        self.classes: list[str] = []

    def _features(self, texts: list[str], embeddings: np.ndarray, *, fit: bool) -> csr_matrix:
        folded = [fold(t) for t in texts]
        lemmas = [lemmatized(t) or "_" for t in texts]
        if fit:
            chars = self._chars.fit_transform(folded)
            words = self._words.fit_transform(lemmas)
        else:
            chars = self._chars.transform(folded)
            words = self._words.transform(lemmas)
        dense = csr_matrix(np.asarray(embeddings, dtype=np.float32) * self.embedding_weight)
        return hstack([dense, chars, words], format="csr")

    def fit(self, texts: list[str], labels: list[str], embeddings: np.ndarray) -> IntentClassifier:
        if len(set(labels)) < 2:
            raise ValueError("need examples of at least two intents to train")
        x = self._features(texts, embeddings, fit=True)
        # Small sets (a shop's intents, edited live) must retrain in about a second; large
        # ones (imported data, benchmarks) are worth converging further. At 1e-3 lbfgs can
        # stop early on few-shot sets (BANKING77 10-shot: -0.8 points).
        tol = self.tol if self.tol is not None else (3e-4 if len(texts) < SMALL_SET else 1e-4)
        self._model.set_params(tol=tol)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            self._model.fit(x, labels)
        self.classes = [str(c) for c in self._model.classes_]
        return self

    def predict(self, texts: list[str], embeddings: np.ndarray) -> list[Prediction]:
        probs = self._model.predict_proba(self._features(texts, embeddings, fit=False))
        oos_col = self.classes.index(FALLBACK) if FALLBACK in self.classes else -1
        out = []
        for row in probs:
            order = np.argsort(-row)
            ranking = [(self.classes[i], float(row[i])) for i in order if i != oos_col]
            out.append(Prediction(ranking, float(row[oos_col]) if oos_col >= 0 else 0.0))
        return out

    def is_out_of_scope(self, pred: Prediction, threshold: float | None = None) -> bool:
        """Out of scope when the trained OOS class wins or the best intent is too unsure."""
        limit = self.oos_threshold if threshold is None else threshold
        top = pred.ranking[0][1] if pred.ranking else 0.0
        return pred.oos_probability >= top or top < limit

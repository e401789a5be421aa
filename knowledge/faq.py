"""FAQ retrieval: the question variants searched in the NLU's own feature space, calibrated.

The caller supplies the features (`fit(featurize)`): the sentence embedding the intent
classifier computes for a message and its sparse character/lemma/synonym view. So searching
the FAQ costs one matrix product over the question variants per block, on features already
computed for the classifier — no second vectoriser. This module needs no NLU package.

A raw similarity mixes the embedding cosine with the sparse views' cosines (the default
encoder is English-only; the character view carries Polish, the synonym groups carry
rewordings and the other language). It is turned into a probability by a one-feature
logistic model fitted on the FAQ itself: each question variant against the other variants of
its own entry in its language (a match) and, lightly weighed, against another entry's (a near
miss); and messages that are not FAQ questions (the caller's, e.g. "add a margherita", plus a
few built-in ones) against their best variant (not a match).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy.sparse import csr_matrix, vstack

from intents.text import fold
from intents.yamlfile import read_yaml

DEFAULT_FAQ = Path(__file__).resolve().parent / "data" / "faq.yaml"
LANGS = ("pl", "en")
DEFAULT_THRESHOLD = 0.75

# texts -> (embeddings, sparse rows), as the NLU computes them for a message.
Featurize = Callable[[Sequence[str]], tuple[np.ndarray, Any]]
# How the raw similarity mixes the embedding cosine and the sparse views (whose column
# weights the caller gives; they should sum to LEXICAL_SHARE over the views' blocks).
EMBEDDING_SHARE = 0.5
LEXICAL_SHARE = 0.5
# How much a question of another entry counts as a "not a match" example in the calibration.
NEAR_MISS_WEIGHT = 0.1

# Messages that must not be taken for FAQ questions; callers add their own (fit(negatives=)).
BUILTIN_NEGATIVES = (
    "ok", "tak", "nie", "yes", "no", "hi", "cześć", "dzięki", "thanks", "bye", "pa",
    "poproszę dwie duże margherity", "add a pepperoni to my cart", "pokaż koszyk",
    "show my cart", "gdzie jest moje zamówienie", "where is my order", "jaka jutro pogoda",
    "what's the weather tomorrow", "tell me a joke", "opowiedz dowcip", "kto wygrał mecz",
    "who won the game", "zamawiam", "checkout", "anuluj", "ile jest 2 plus 2",
    "what's the meaning of life", "asdfgh", "lorem ipsum dolor sit amet",
)  # fmt: skip


class FaqError(ValueError):
    """The FAQ file is not valid; the message says where."""


@dataclass(frozen=True)
class FaqEntry:
    id: str
    questions: dict[str, list[str]]
    answer: dict[str, str]
    intent: str | None = None  # the dialogue intent this entry also answers, if any
    tags: tuple[str, ...] = field(default_factory=tuple)

    def question(self, lang: str | None) -> str:
        qs = self.questions.get(lang or "") or next(iter(self.questions.values()), [])
        return qs[0] if qs else self.id

    def to_dict(self, lang: str | None, confidence: float) -> dict[str, Any]:
        """The `faq` part of a parse result."""
        return {
            "id": self.id,
            "question": self.question(lang),
            "answer": dict(self.answer),
            "confidence": round(float(confidence), 4),
        }


def _key(text: str) -> str:
    """A question with case, diacritics, punctuation and spacing ignored."""
    import re

    return " ".join(re.findall(r"[^\W_]+", fold(text)))


class FaqIndex:
    """Question variants of every entry, searchable once `fit` has been called."""

    def __init__(self, entries: list[FaqEntry], *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.entries = entries
        self.threshold = threshold
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None
        self.featurize: Featurize | None = None

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (for a parse worker) with what `best` and `exact` read; a copy has no
        `featurize` (it lives in the process that fitted it), so `search` needs a refit."""
        state = self.__dict__.copy()
        del state["_lock"]
        state["featurize"] = None
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> FaqIndex:
        """Read the FAQ YAML (the demo pizzeria's by default)."""
        path = path or DEFAULT_FAQ
        try:
            raw = read_yaml(path) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise FaqError(f"cannot read FAQ {path}: {exc}") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> FaqIndex:
        entries: list[FaqEntry] = []
        seen: set[str] = set()
        for n, item in enumerate(raw.get("faq") or [], 1):
            fid = str(item.get("id") or "")
            if not fid or fid in seen:
                raise FaqError(f"FAQ entry {n}: id missing or duplicated: {fid!r}")
            seen.add(fid)
            questions = {
                str(lang): [str(q) for q in qs if str(q).strip()]
                for lang, qs in (item.get("questions") or {}).items()
            }
            answer = {str(k): str(v).strip() for k, v in (item.get("answer") or {}).items()}
            if not any(questions.values()) or not answer:
                raise FaqError(f"FAQ entry {fid}: needs questions and an answer")
            entries.append(
                FaqEntry(fid, questions, answer, item.get("intent"), tuple(item.get("tags") or ()))
            )
        return cls(entries, threshold=float(raw.get("threshold", DEFAULT_THRESHOLD)))

    def get(self, entry_id: str) -> FaqEntry | None:
        return next((e for e in self.entries if e.id == entry_id), None)

    # -- fitting ----------------------------------------------------------------------------

    @property
    def fitted(self) -> bool:
        return self._state is not None

    def fit(
        self,
        featurize: Featurize,
        negatives: Sequence[str] = (),
        *,
        negative_features: tuple[np.ndarray, Any] | None = None,
        lexical_weights: np.ndarray | None = None,
    ) -> FaqIndex:
        """Place every question variant in the caller's feature space and calibrate scores.

        `featurize(texts)` returns (embeddings, sparse rows) as the NLU computes them for
        messages; `lexical_weights` weighs the sparse columns (default: 0.5 each).
        `negatives` are messages that are not FAQ questions (they teach the calibration
        what an unrelated message scores); `negative_features` more of them, featurised.
        """
        from sklearn.linear_model import LogisticRegression

        texts: list[str] = []
        owner: list[int] = []
        lang_of: list[str] = []
        for i, entry in enumerate(self.entries):
            for lang, qs in entry.questions.items():
                for q in qs:
                    texts.append(q)
                    owner.append(i)
                    lang_of.append(lang)
        if not texts:
            raise FaqError("the FAQ has no questions")
        negs = list(dict.fromkeys([*BUILTIN_NEGATIVES, *negatives]))
        dense, sparse = featurize([*texts, *negs])
        dense = np.asarray(dense, dtype=np.float32)
        sparse = csr_matrix(sparse, dtype=np.float32)
        emb = dense[: len(texts)] * np.float32(EMBEDDING_SHARE)
        weights = (
            np.full(sparse.shape[1], 0.5 * LEXICAL_SHARE, dtype=np.float32)
            if lexical_weights is None
            else np.asarray(lexical_weights, dtype=np.float32)
        )
        lex = csr_matrix(sparse[: len(texts)].multiply(weights[None, :]), dtype=np.float32)
        lex_t = lex.T.tocsr()
        raw = self._raw(emb, lex_t, dense[: len(texts)], sparse[: len(texts)])
        owners = np.asarray(owner)
        langs = np.asarray(lang_of)
        xs: list[float] = []
        ys: list[int] = []
        sample_weights: list[float] = []
        for i in range(len(texts)):
            # A rewording in the same language: a variant against its entry's other variants
            # in that language (across languages the English-only encoder is no judge) ...
            same = (owners == owners[i]) & (langs == langs[i])
            other = (owners != owners[i]) & (langs == langs[i])
            same[i] = False
            if same.any():
                xs.append(float(raw[i, same].max()))
                ys.append(1)
                sample_weights.append(1.0)
            if other.any():  # ... and against another entry's (a near miss, weighed lightly)
                xs.append(float(raw[i, other].max()))
                ys.append(0)
                sample_weights.append(NEAR_MISS_WEIGHT)
        neg_dense, neg_sparse = dense[len(texts) :], sparse[len(texts) :]
        if negative_features is not None:
            neg_dense = np.vstack([neg_dense, np.asarray(negative_features[0], np.float32)])
            neg_sparse = vstack([neg_sparse, csr_matrix(negative_features[1])], format="csr")
        raw_neg = self._raw(emb, lex_t, neg_dense, neg_sparse)
        xs.extend(float(v) for v in raw_neg.max(axis=1))
        ys.extend([0] * raw_neg.shape[0])
        sample_weights.extend([1.0] * raw_neg.shape[0])
        calib = LogisticRegression(C=10.0, class_weight="balanced").fit(
            np.asarray(xs).reshape(-1, 1), ys, sample_weight=np.asarray(sample_weights)
        )
        exact = {_key(t): owner[i] for i, t in reversed(list(enumerate(texts)))}
        with self._lock:
            self.featurize = featurize
            self._state = {
                "emb_t": np.ascontiguousarray(emb.T), "lex_t": lex_t, "owner": owners,
                "slope": float(calib.coef_[0, 0]), "intercept": float(calib.intercept_[0]),
                "exact": exact,
            }  # fmt: skip
        return self

    @staticmethod
    def _raw(emb: np.ndarray, lex_t: csr_matrix, dense: np.ndarray, sparse: Any) -> np.ndarray:
        """Messages x variants: one product with the embeddings, one with the sparse view."""
        out = dense @ emb.T
        out += (sparse @ lex_t).toarray() if hasattr(sparse, "tocsr") else sparse @ lex_t
        return out

    # -- search -----------------------------------------------------------------------------

    def exact(self, text: str) -> FaqEntry | None:
        """The entry one of whose questions `text` is (ignoring case, diacritics, punctuation)."""
        state = self._state
        if state is None:
            raise RuntimeError("FaqIndex.fit(featurize) must be called before search")
        found = state["exact"].get(_key(text))
        return None if found is None else self.entries[found]

    def best(self, dense: np.ndarray, sparse: Any) -> list[tuple[FaqEntry, float]]:
        """For each message (rows of the NLU's features): its best entry and probability."""
        state = self._state
        if state is None:
            raise RuntimeError("FaqIndex.fit(featurize) must be called before search")
        raw = np.asarray(dense, dtype=np.float32) @ state["emb_t"]
        raw += (sparse @ state["lex_t"]).toarray()
        top = raw.argmax(axis=1)
        scores = raw[np.arange(len(top)), top]
        probs = 1.0 / (1.0 + np.exp(-(state["slope"] * scores + state["intercept"])))
        owner = state["owner"]
        return [(self.entries[int(owner[t])], float(p)) for t, p in zip(top, probs, strict=True)]

    def search(self, text: str, lang: str | None = None) -> tuple[FaqEntry | None, float]:
        """Best entry and its calibrated probability (0-1); (None, 0.0) for empty input.

        `lang` is accepted for symmetry with parse; variants of every language are searched
        because customers mix languages. A message that is one of the stored questions
        (ignoring case, diacritics and punctuation) is that entry's with certainty 1.0.
        """
        if self._state is None:
            raise RuntimeError("FaqIndex.fit(featurize) must be called before search")
        if not text or not text.strip():
            return None, 0.0
        exact = self.exact(text)
        if exact is not None:
            return exact, 1.0
        assert self.featurize is not None
        dense, sparse = self.featurize([text])
        return self.best(dense, csr_matrix(sparse))[0]

    def answer(self, text: str, lang: str | None = None) -> dict[str, Any] | None:
        """The `faq` part of a parse result, or None below the threshold."""
        entry, score = self.search(text, lang)
        if entry is None or score < self.threshold:
            return None
        return entry.to_dict(lang, score)

"""FAQ retrieval: semantic + character-level search over question variants, calibrated.

The caller supplies the sentence encoder (`fit(encode_fn)`), so this module needs no NLU
package. A raw similarity mixes the embedding cosine with character n-gram and lemma
cosines (the default encoder is English-only; the character view carries Polish). The raw
score is turned into a probability by a one-feature logistic model fitted on the FAQ
itself: each question variant against the other variants of its own entry (a match), and
messages that are not FAQ questions (the caller's, e.g. "add a margherita", plus a few
built-in ones) against their best variant (not a match).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from intents.text import fold

DEFAULT_FAQ = Path(__file__).resolve().parent / "data" / "faq.yaml"
LANGS = ("pl", "en")
DEFAULT_THRESHOLD = 0.75

EncodeFn = Callable[[Sequence[str]], np.ndarray]

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


@lru_cache(maxsize=65536)
def _lemma(token: str) -> str:
    import simplemma

    try:
        return fold(simplemma.lemmatize(token, lang=("pl", "en")))
    except Exception:
        return fold(token)


def _key(text: str) -> str:
    """A question with case, diacritics, punctuation and spacing ignored."""
    import re

    return " ".join(re.findall(r"[^\W_]+", fold(text)))


def _lemmas(text: str) -> str:
    import re

    return " ".join(_lemma(t) for t in re.findall(r"[^\W_]+", text.lower())) or "_"


class FaqIndex:
    """Question variants of every entry, searchable once `fit` has been called."""

    def __init__(self, entries: list[FaqEntry], *, threshold: float = DEFAULT_THRESHOLD) -> None:
        self.entries = entries
        self.threshold = threshold
        self._lock = threading.Lock()
        self._state: dict[str, Any] | None = None
        self.encode_fn: EncodeFn | None = None

    # -- loading ----------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path | None = None) -> FaqIndex:
        """Read the FAQ YAML (the demo pizzeria's by default)."""
        path = path or DEFAULT_FAQ
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
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

    def fit(self, encode_fn: EncodeFn, negatives: Sequence[str] = ()) -> FaqIndex:
        """Embed every question variant with the caller's encoder and calibrate scores.

        `negatives` are messages that are not FAQ questions (they teach the calibration
        what an unrelated message scores).
        """
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        texts: list[str] = []
        owner: list[int] = []
        for i, entry in enumerate(self.entries):
            for qs in entry.questions.values():
                for q in qs:
                    texts.append(q)
                    owner.append(i)
        if not texts:
            raise FaqError("the FAQ has no questions")
        negs = list(dict.fromkeys([*BUILTIN_NEGATIVES, *negatives]))
        emb_all = np.asarray(encode_fn([*texts, *negs]), dtype=np.float32)
        emb, emb_neg = emb_all[: len(texts)], emb_all[len(texts) :]
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True)
        words = TfidfVectorizer(token_pattern=r"\S+", sublinear_tf=True)
        c = chars.fit_transform([fold(t) for t in texts])
        w = words.fit_transform([_lemmas(t) for t in texts])
        raw = self._raw(emb @ emb.T, (c @ c.T).toarray(), (w @ w.T).toarray())
        owners = np.asarray(owner)
        xs: list[float] = []
        ys: list[int] = []
        for i in range(len(texts)):
            same = owners == owners[i]
            same[i] = False
            if same.any():
                xs.append(float(raw[i, same].max()))
                ys.append(1)
        cn = chars.transform([fold(t) for t in negs])
        wn = words.transform([_lemmas(t) for t in negs])
        raw_neg = self._raw(emb_neg @ emb.T, (cn @ c.T).toarray(), (wn @ w.T).toarray())
        xs.extend(float(v) for v in raw_neg.max(axis=1))
        ys.extend([0] * len(negs))
        calib = LogisticRegression(C=10.0, class_weight="balanced").fit(
            np.asarray(xs).reshape(-1, 1), ys
        )
        exact = {_key(t): owner[i] for i, t in reversed(list(enumerate(texts)))}
        with self._lock:
            self.encode_fn = encode_fn
            self._state = {
                "emb": emb, "chars": chars, "words": words, "c": c, "w": w,
                "owner": owners, "calib": calib, "exact": exact,
            }  # fmt: skip
        return self

    @staticmethod
    def _raw(emb: np.ndarray, chars: np.ndarray, words: np.ndarray) -> np.ndarray:
        return 0.5 * emb + 0.3 * chars + 0.2 * words

    # -- search -----------------------------------------------------------------------------

    def search(
        self, text: str, lang: str | None = None, *, embedding: np.ndarray | None = None
    ) -> tuple[FaqEntry | None, float]:
        """Best entry and its calibrated probability (0-1); (None, 0.0) for empty input.

        `lang` is accepted for symmetry with parse; variants of every language are searched
        because customers mix languages. A message that is one of the stored questions
        (ignoring case, diacritics and punctuation) is that entry's with certainty 1.0.
        """
        state = self._state
        if state is None:
            raise RuntimeError("FaqIndex.fit(encode_fn) must be called before search")
        if not text or not text.strip():
            return None, 0.0
        exact = state["exact"].get(_key(text))
        if exact is not None:
            return self.entries[exact], 1.0
        if embedding is None:
            assert self.encode_fn is not None
            embedding = np.asarray(self.encode_fn([text]), dtype=np.float32)[0]
        e = state["emb"] @ np.asarray(embedding, dtype=np.float32)
        c = (state["c"] @ state["chars"].transform([fold(text)]).T).toarray().ravel()
        w = (state["w"] @ state["words"].transform([_lemmas(text)]).T).toarray().ravel()
        raw = self._raw(e, c, w)
        best = int(np.argmax(raw))
        prob = float(state["calib"].predict_proba([[raw[best]]])[0, 1])
        return self.entries[int(state["owner"][best])], prob

    def answer(self, text: str, lang: str | None = None) -> dict[str, Any] | None:
        """The `faq` part of a parse result, or None below the threshold."""
        entry, score = self.search(text, lang)
        if entry is None or score < self.threshold:
            return None
        return entry.to_dict(lang, score)

"""NluEngine: language, intent (or out-of-scope, or an FAQ answer) and entities of a message."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from intents.classifier import DEFAULT_OOS_THRESHOLD, IntentClassifier
from intents.data import FALLBACK, Examples, flatten, load_intents_dir
from intents.encoder import Encoder
from intents.entities import EntityExtractor
from intents.language import detect_language
from intents.text import clean, has_letters

if TYPE_CHECKING:
    from knowledge.faq import FaqIndex

log = logging.getLogger(__name__)

FAQ_INTENT = "faq"
# Examples of these intents are never FAQ questions: they calibrate the FAQ's scores.
FAQ_NEGATIVE_INTENTS = frozenset(
    "greet goodbye thanks affirm deny add_to_cart remove_from_cart change_item show_cart "
    "clear_cart checkout order_status reorder rate_order change_language oos nlu_fallback "
    "out_of_scope".split()
)
RANKING_SIZE = 10


@dataclass(frozen=True)
class _Model:
    """Everything a parse reads, swapped as one reference on retrain."""

    classifier: IntentClassifier
    examples: Examples
    train_seconds: float


class NluEngine:
    """Load once (about 5 s), then `parse` is thread-safe and `retrain` swaps models atomically."""

    def __init__(
        self,
        encoder: Encoder,
        examples: Examples,
        *,
        products: Mapping[str, Iterable[str]] | None = None,
        categories: Mapping[str, Iterable[str]] | None = None,
        faq: FaqIndex | None = None,
        oos_threshold: float = DEFAULT_OOS_THRESHOLD,
        default_language: str = "pl",
        progress: bool = False,
    ) -> None:
        self.encoder = encoder
        self.oos_threshold = oos_threshold
        self.default_language = default_language
        self._retrain_lock = threading.Lock()
        self._entities = EntityExtractor(products, categories)
        self._model = self._train(examples, progress=progress)
        self._faq: FaqIndex | None = None
        if faq is not None:
            self.set_faq(faq)

    @classmethod
    def load(
        cls,
        model: str | Path | None = None,
        cache_dir: Path | None = Path(".omnibot/cache"),
        intents_dir: Path | None = None,
        products: Mapping[str, Iterable[str]] | None = None,
        categories: Mapping[str, Iterable[str]] | None = None,
        faq: FaqIndex | None = None,
        progress: bool = False,
        *,
        oos_threshold: float = DEFAULT_OOS_THRESHOLD,
        default_language: str = "pl",
        backend: str = "auto",
    ) -> NluEngine:
        """Load the encoder and train on the intent YAML folder (default: the demo pizzeria)."""
        encoder = Encoder(model, cache_dir, backend=backend)
        return cls(
            encoder,
            load_intents_dir(intents_dir),
            products=products,
            categories=categories,
            faq=faq,
            oos_threshold=oos_threshold,
            default_language=default_language,
            progress=progress,
        )

    # -- training ---------------------------------------------------------------------------

    def _train(self, examples: Examples, *, progress: bool = False) -> _Model:
        texts, labels = flatten(examples)
        started = time.perf_counter()
        embeddings = encode_with_progress(self.encoder, texts, progress, "Encoding intents")
        classifier = IntentClassifier(oos_threshold=self.oos_threshold).fit(
            texts, labels, embeddings
        )
        seconds = time.perf_counter() - started
        log.info("trained %d intents on %d examples in %.2f s", len(classifier.classes),
                 len(texts), seconds)  # fmt: skip
        return _Model(classifier, examples, seconds)

    def retrain(self, examples: Examples) -> float:
        """Train on new examples ({intent: {lang: [text]}}) and swap; returns seconds taken.

        Parses keep using the old model until the new one is ready.
        """
        with self._retrain_lock:
            model = self._train(examples)
            self._model = model
            return model.train_seconds

    def set_faq(self, faq: FaqIndex | None) -> None:
        """Use a (new) FAQ; it is fitted with this engine's encoder first."""
        if faq is not None and not faq.fitted:
            negatives = [
                t
                for intent, by_lang in self.examples.items()
                if intent in FAQ_NEGATIVE_INTENTS
                for texts in by_lang.values()
                for t in texts
            ]
            faq.fit(self.encoder.encode, negatives)
        self._faq = faq

    def set_entities(
        self,
        products: Mapping[str, Iterable[str]] | None,
        categories: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Use new product/category names (e.g. after the catalog was edited)."""
        self._entities = EntityExtractor(products, categories)

    @property
    def intents(self) -> list[str]:
        return [c for c in self._model.classifier.classes if c != FALLBACK]

    @property
    def examples(self) -> Examples:
        return self._model.examples

    @property
    def train_seconds(self) -> float:
        return self._model.train_seconds

    # -- parsing ----------------------------------------------------------------------------

    def parse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        """Rasa-compatible parse plus `lang` and `faq`; never raises on odd text."""
        raw = text if isinstance(text, str) else str(text or "")
        cleaned = clean(raw)
        detected = lang or detect_language(cleaned) or self.default_language
        if not has_letters(cleaned):
            return _result(raw, FALLBACK, 0.0, [], [], detected, None)
        return self._finish(raw, cleaned, detected, self.encoder.encode_one(cleaned))

    def _finish(
        self, raw: str, cleaned: str, detected: str, embedding: np.ndarray
    ) -> dict[str, Any]:
        model = self._model  # one read: a concurrent retrain cannot mix two models
        pred = model.classifier.predict([cleaned], embedding[None, :])[0]
        entities = self._entities.extract(cleaned)
        ranking = pred.ranking[: RANKING_SIZE - 1]
        name, confidence = ranking[0]
        if model.classifier.is_out_of_scope(pred):
            name, confidence = FALLBACK, max(pred.oos_probability, 1.0 - ranking[0][1])
            ranking = [(FALLBACK, confidence), *ranking]

        faq_part = None
        faq = self._faq
        if faq is not None:
            entry, score = faq.search(cleaned, detected, embedding=embedding)
            if entry is not None and score >= faq.threshold:
                faq_part = entry.to_dict(detected, score)
                intent_conf = 0.0 if name == FALLBACK else confidence
                if score > intent_conf and entry.intent != name:
                    ranking = [(FAQ_INTENT, score), *[r for r in ranking if r[0] != FALLBACK]]
                    name, confidence = FAQ_INTENT, score
        if cleaned != raw:
            entities = _shift(raw, cleaned, entities)
        return _result(raw, name, confidence, ranking, entities, detected, faq_part)

    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        """`parse` in a worker thread so the event loop never waits on the encoder."""
        return await asyncio.to_thread(self.parse, text, lang)

    def parse_many(self, texts: list[str], lang: str | None = None) -> list[dict[str, Any]]:
        """Parse a batch with one encoder call per 64 texts (throughput under load)."""
        cleaned = [clean(t if isinstance(t, str) else str(t or "")) for t in texts]
        wanted = [c for c in cleaned if has_letters(c)]
        vectors = self.encoder.encode(wanted, use_cache=False) if wanted else None
        out = []
        i = 0
        for raw, c in zip(texts, cleaned, strict=True):
            detected = lang or detect_language(c) or self.default_language
            if not has_letters(c) or vectors is None:
                out.append(_result(str(raw or ""), FALLBACK, 0.0, [], [], detected, None))
                continue
            out.append(self._finish(str(raw), c, detected, vectors[i]))
            i += 1
        return out


def encode_with_progress(
    encoder: Encoder, texts: list[str], progress: bool, label: str
) -> np.ndarray:
    """Encode with a rich progress bar when asked (first start, evaluation)."""
    if not progress:
        return encoder.encode(texts)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), transient=True,
    )  # fmt: skip
    with bar as p:
        task = p.add_task(label, total=len(texts))
        return encoder.encode(texts, progress=lambda n: p.advance(task, n))


def _shift(raw: str, cleaned: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Map offsets in the cleaned text back to the raw text (leading spaces, controls)."""
    out = []
    pos = 0
    for e in entities:
        piece = cleaned[e["start"] : e["end"]]
        found = raw.find(piece, pos)
        if found < 0:
            found = raw.lower().find(piece.lower(), pos)
        if found >= 0:
            e = {**e, "start": found, "end": found + len(piece)}
            pos = found
        out.append(e)
    return out


def _result(
    text: str,
    name: str,
    confidence: float,
    ranking: list[tuple[str, float]],
    entities: list[dict[str, Any]],
    lang: str,
    faq: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "text": text,
        "intent": {"name": name, "confidence": round(float(confidence), 4)},
        "intent_ranking": [
            {"name": n, "confidence": round(float(c), 4)} for n, c in ranking[:RANKING_SIZE]
        ],
        "entities": entities,
        "lang": lang,
        "faq": faq,
    }

"""NluEngine: language, intent (or out-of-scope, or an FAQ answer) and entities of a message."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.sparse import csr_matrix, vstack

from intents.batching import MicroBatcher
from intents.classifier import DEFAULT_OOS_THRESHOLD, IntentClassifier, Prediction
from intents.data import FALLBACK, Examples, flatten, load_intents_dir
from intents.encoder import BATCH_SIZE, Encoder
from intents.entities import EntityExtractor
from intents.features import Featurizer
from intents.language import detect_language
from intents.text import clean, has_letters, with_polish_words
from intents.worker import ParseWorker, WorkerGone

if TYPE_CHECKING:
    from knowledge.faq import FaqEntry, FaqIndex

log = logging.getLogger(__name__)

FAQ_INTENT = "faq"
RANKING_SIZE = 10
# How long the first message of a batch waits for others (the NLU_BATCH_WINDOW_MS setting).
DEFAULT_BATCH_WINDOW_MS = 2.0
# The FAQ's raw score: 0.5 x embedding cosine + these weights x the sparse blocks' cosines.
FAQ_CHARS = 0.3
FAQ_WORDS = 0.2
FAQ_GROUPS = 0.3  # the synonym groups: a reworded question often shares only its topic
FAQ_MAX_NEGATIVES = 3000
# Intents that stand for "a question about the shop the bot has no answer for": an FAQ entry
# that matches answers instead, and their examples never calibrate the FAQ as non-questions.
FAQ_YIELDING_INTENTS = frozenset({"facilities"})
# A retrain that only adds at most this many texts (or this share of them) updates the
# previous model (its vocabulary; only the intents given examples re-solved) instead of refitting.
SMALL_CHANGE_MIN = 50
SMALL_CHANGE_SHARE = 0.05
# After a parse worker is lost, how long before another is started (a child that dies at
# once must not be restarted in a loop).
WORKER_RESTART_SECONDS = 10.0
# Recent parses kept by (text, language hint): "tak", "menu", "2" and a button's words come
# back all day. Dropped whole at every model, FAQ or catalog change.
PARSE_CACHE_SIZE = 4096


@dataclass(frozen=True)
class _Rows:
    """Training rows: labels and the features computed for them."""

    labels: list[str]
    dense: np.ndarray
    sparse: csr_matrix


class _Keep:
    """`retrain(faq=KEEP)`: keep the FAQ entries the engine has."""


KEEP = _Keep()


@dataclass(frozen=True)
class _Model:
    """Everything a parse reads, swapped as one reference (classifier and FAQ together)."""

    classifier: IntentClassifier
    examples: Examples
    train_seconds: float
    faq: FaqIndex | None
    # The training rows, kept so that a small edit re-featurises only the texts it adds.
    texts: list[str]
    labels: list[str]
    dense: np.ndarray
    sparse: csr_matrix


@dataclass(frozen=True)
class Held:
    """The parts of a model a parse worker holds (compared by identity)."""

    classifier: IntentClassifier
    faq: FaqIndex | None
    entities: EntityExtractor


def _weights_patch(held: IntentClassifier, new: IntentClassifier) -> tuple[Any, ...] | None:
    """The weight columns `new` changed from `held` (same features, same intents), with
    `new` stripped of its weights and features; None when it must go whole."""
    old_w, new_w = held._weights, new._weights
    if (
        old_w is None or new_w is None or held.featurizer is not new.featurizer
        or held.classes != new.classes or old_w.dense.shape != new_w.dense.shape
        or old_w.sparse.shape != new_w.sparse.shape
    ):  # fmt: skip
        return None
    changed = (old_w.dense != new_w.dense).any(axis=0)
    changed |= (old_w.sparse != new_w.sparse).any(axis=0)
    changed |= old_w.bias != new_w.bias
    cols = np.flatnonzero(changed)
    shell = copy.copy(new)
    shell._weights = None
    shell.featurizer = None  # type: ignore[assignment]
    return ("patch", shell, cols, new_w.dense[:, cols], new_w.sparse[:, cols], new_w.bias[cols])


class NluEngine:
    """Load once (about 5 s), then `parse` is thread-safe and `retrain` swaps models atomically.

    `aparse` goes through a micro-batcher: messages arriving within `batch_window_ms` of each
    other (and all that queue while a batch runs) are parsed together.
    """

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
        batch_window_ms: float = DEFAULT_BATCH_WINDOW_MS,
        process: bool = False,
    ) -> None:
        self.encoder = encoder
        self.oos_threshold = oos_threshold
        self.default_language = default_language
        self.last_retrain: dict[str, Any] = {}
        self._retrain_lock = threading.Lock()
        self._entities = EntityExtractor(products, categories)
        self._worker: ParseWorker | None = None
        self._held: Held | None = None  # what the worker holds
        self._worker_lock = threading.Lock()  # one snapshot sent at a time, the latest last
        self._worker_lost_at: float | None = None
        self.worker_starting: threading.Thread | None = None  # a worker being started
        self._closed = False
        self._generation = 0  # bumped once a change reaches every parser
        self._parses: OrderedDict[tuple[str, str | None], bytes] = OrderedDict()
        self.cache_hits = 0
        # The child loads its encoder while this process trains.
        starting = self._spawn_worker() if process else None
        self._model = self._train(examples, faq, None, progress=progress)
        self._batcher: MicroBatcher[tuple[str, str | None], dict[str, Any]] = MicroBatcher(
            self._run_batch, window=batch_window_ms / 1000.0, max_batch=BATCH_SIZE,
            name="nlu-parse",
        )  # fmt: skip
        if starting is not None:
            # Parses run here until the worker has loaded its encoder: a slow start of the
            # worker never holds the server's.
            self.worker_starting = threading.Thread(
                target=self._adopt_worker, args=(starting,), name="nlu-worker-start", daemon=True
            )
            self.worker_starting.start()

    @classmethod
    def parser_only(cls, encoder: Encoder) -> NluEngine:
        """An engine that only parses, with the models `load_snapshot` gives it (what a parse
        worker runs): it never trains."""
        engine = cls.__new__(cls)
        engine.encoder = encoder
        engine.default_language = "pl"
        engine._entities = EntityExtractor(None, None)
        return engine

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
        batch_window_ms: float = DEFAULT_BATCH_WINDOW_MS,
        process: bool = False,
    ) -> NluEngine:
        """Load the encoder and train on the intent YAML folder (default: the demo pizzeria).
        `process`: parse in a child process (`intents.worker`), not on a thread of this one."""
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
            batch_window_ms=batch_window_ms,
            process=process,
        )

    # -- training ---------------------------------------------------------------------------

    def _train(
        self,
        examples: Examples,
        faq: FaqIndex | None,
        previous: _Model | None,
        *,
        progress: bool = False,
    ) -> _Model:
        started = time.perf_counter()
        texts, labels = flatten(examples)
        classifier = IntentClassifier(oos_threshold=self.oos_threshold)
        pairs = list(zip(texts, labels, strict=True))
        added, removed = (
            _changes(list(zip(previous.texts, previous.labels, strict=True)), pairs)
            if previous is not None
            else (Counter(), Counter())
        )
        if removed:
            # Weights learnt from a removed example would outlive it in a warm start (nothing
            # pulls them back but the weak regulariser): fit from zero.
            previous = None
        small = sum(added.values()) <= max(SMALL_CHANGE_MIN, SMALL_CHANGE_SHARE * len(texts))
        if previous is not None and small and set(labels) - set(added):
            # Keep the previous vocabulary (only the added texts are embedded and featurised)
            # and every untouched intent's weights: only the intents given examples are
            # re-solved.
            dense, sparse = self._rows(previous, texts)
            before = Counter(zip(previous.texts, previous.labels, strict=True))
            new_rows = np.zeros(len(pairs), dtype=bool)
            for i, pair in enumerate(pairs):
                if before[pair] > 0:
                    before[pair] -= 1
                else:
                    new_rows[i] = True
            classifier.update(previous.classifier, labels, dense, sparse, set(added), new_rows)
            mode = "update"
        else:
            dense = encode_with_progress(self.encoder, texts, progress, "Encoding intents")
            questions = (
                [q for e in faq.entries for qs in e.questions.values() for q in qs] if faq else []
            )
            # The FAQ's questions join the vocabulary; the rows of `texts` are kept for the
            # FAQ's calibration and for later updates (featurised once).
            featurizer = Featurizer()
            sparse = featurizer.fit_transform([*texts, *questions])[: len(texts)]
            classifier.fit(texts, labels, dense, featurizer=featurizer, sparse=sparse,
                           previous=previous.classifier if previous else None)  # fmt: skip
            mode = "full"
        rows = _Rows(labels, dense, sparse)
        if faq is None:
            fitted_faq = None
        elif mode == "update" and previous is not None and _same_faq(faq, previous.faq):
            # Same feature space, same entries: the fitted index holds as it is.
            fitted_faq = previous.faq
        else:
            fitted_faq = self._fit_faq(faq, classifier, rows)
        seconds = time.perf_counter() - started
        self.last_retrain = {"mode": mode, "seconds": round(seconds, 3), "examples": len(texts),
                             "iterations": classifier.iterations}  # fmt: skip
        log.info("trained %d intents on %d examples in %.2f s (%s, %d iterations)",
                 len(classifier.classes), len(texts), seconds, mode,
                 classifier.iterations)  # fmt: skip
        return _Model(classifier, examples, seconds, fitted_faq, texts, labels, dense, sparse)

    def _rows(self, previous: _Model, texts: list[str]) -> tuple[np.ndarray, csr_matrix]:
        """Embeddings and sparse rows of `texts`, reusing the previous model's rows."""
        row_of = {t: i for i, t in enumerate(previous.texts)}
        new = list(dict.fromkeys(t for t in texts if t not in row_of))
        for i, t in enumerate(new):
            row_of[t] = len(previous.texts) + i
        featurizer = previous.classifier.featurizer
        dense = previous.dense
        sparse = previous.sparse
        if new:
            dense = np.vstack([dense, self.encoder.encode(new)])
            sparse = vstack([sparse, featurizer.transform(new)], format="csr")
        order = np.fromiter((row_of[t] for t in texts), dtype=np.int64, count=len(texts))
        return dense[order], sparse[order]

    def _fit_faq(self, faq: FaqIndex, classifier: IntentClassifier, model_rows: _Rows) -> FaqIndex:
        """A fresh index of the FAQ's entries, placed in this classifier's feature space.

        Examples of intents no FAQ entry answers are what an FAQ question is not: they
        calibrate the FAQ's scores (their features are the training rows, already computed).
        """
        answered = {e.intent for e in faq.entries if e.intent}
        rows = [i for i, label in enumerate(model_rows.labels)
                if label not in answered and label != FAQ_INTENT
                and label not in FAQ_YIELDING_INTENTS]  # fmt: skip
        if len(rows) > FAQ_MAX_NEGATIVES:  # a large content set: an even sample is enough
            rows = rows[:: len(rows) // FAQ_MAX_NEGATIVES + 1]
        negatives = (model_rows.dense[rows], model_rows.sparse[rows])
        featurizer = classifier.featurizer

        def featurize(texts: Sequence[str]) -> tuple[np.ndarray, csr_matrix]:
            return self.encoder.encode(list(texts)), featurizer.transform(list(texts))

        index = type(faq)(faq.entries, threshold=faq.threshold)
        weights = featurizer.column_weights(FAQ_CHARS, FAQ_WORDS, FAQ_GROUPS)
        return index.fit(featurize, negative_features=negatives, lexical_weights=weights)

    def retrain(self, examples: Examples, faq: FaqIndex | _Keep | None = KEEP) -> float:
        """Train on new examples ({intent: {lang: [text]}}) and swap; returns seconds taken.

        Parses keep using the old model (and its FAQ) until the new one is ready, then the
        new model and its FAQ (`faq`, or the current entries) swap in together. A small edit
        updates the previous model (same vocabulary, warm start); a large one refits.
        """
        with self._retrain_lock:
            current = self._model
            chosen = current.faq if isinstance(faq, _Keep) else faq
            model = self._train(examples, chosen, current)
            self._model = model
        self._send_snapshot()
        self.forget_parses()
        return model.train_seconds

    def set_faq(self, faq: FaqIndex | None) -> None:
        """Use a (new) FAQ, placed in the current classifier's feature space."""
        with self._retrain_lock:
            current = self._model
            rows = _Rows(current.labels, current.dense, current.sparse)
            fitted = self._fit_faq(faq, current.classifier, rows) if faq else None
            self._model = replace(current, faq=fitted)
        self._send_snapshot()
        self.forget_parses()

    def set_entities(
        self,
        products: Mapping[str, Iterable[str]] | None,
        categories: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        """Use new product/category names (e.g. after the catalog was edited)."""
        self._entities = EntityExtractor(products, categories)
        self._send_snapshot()
        self.forget_parses()

    def forget_parses(self) -> None:
        """Parse every text afresh from now on: called once a change has reached this
        process's model and the worker's (parses remembered before it are forgotten, and
        none begun before it is remembered)."""
        self._parses = OrderedDict()
        self._generation += 1

    @property
    def intents(self) -> list[str]:
        return [c for c in self._model.classifier.classes if c != FALLBACK]

    @property
    def examples(self) -> Examples:
        return self._model.examples

    @property
    def faq(self) -> FaqIndex | None:
        return self._model.faq

    @property
    def train_seconds(self) -> float:
        return self._model.train_seconds

    @property
    def batches(self) -> tuple[int, int]:
        """(batches run, messages parsed) by `aparse` so far."""
        return self._batcher.batches, self._batcher.items

    @property
    def worker_pid(self) -> int | None:
        """The parse worker's process id, while one parses (None: parses run here)."""
        worker = self._worker
        return worker.pid if worker is not None and worker.alive else None

    def close(self) -> None:
        self._closed = True
        self._batcher.close()
        self.stop_worker()

    def start_worker(self) -> bool:
        """Parse in a worker process from now on (blocks until it is ready); False when it
        could not start (parses stay in this process)."""
        worker = self._spawn_worker()
        return worker is not None and self._adopt_worker(worker)

    def stop_worker(self) -> None:
        """Parse in this process again; the worker process exits."""
        with self._worker_lock:
            worker, self._worker = self._worker, None
            self._worker_lost_at = None
        if worker is not None:
            worker.close()

    # -- the parse worker -------------------------------------------------------------------

    def snapshot(self, held: Held | None = None) -> tuple[bytes, Held]:
        """What a parse needs, pickled for a parse worker that holds `held` (None: nothing
        yet), and what it holds once it has loaded it. Only the parts that changed go: a
        catalog edit sends the entity names; a retrain that re-solved a few intents, those
        intents' weight columns (a 150-intent model is ~55 MB whole)."""
        model, entities = self._model, self._entities
        parts: dict[str, Any] = {"language": self.default_language,
                                 "train_seconds": model.train_seconds}  # fmt: skip
        classifier = model.classifier
        if held is None or held.classifier is not classifier:
            patch = _weights_patch(held.classifier, classifier) if held is not None else None
            parts["classifier"] = patch if patch is not None else ("whole", classifier)
        if held is None or held.faq is not model.faq:
            parts["faq"] = model.faq
        if held is None or held.entities is not entities:
            parts["entities"] = entities
        return pickle.dumps(parts, protocol=5), Held(classifier, model.faq, entities)

    def load_snapshot(self, snapshot: bytes) -> None:
        """Take what `snapshot` sent (in a parse worker, between parses)."""
        parts = pickle.loads(snapshot)
        self.default_language = parts["language"]
        self._entities = parts.get("entities", self._entities)
        current: _Model | None = getattr(self, "_model", None)
        classifier = current.classifier if current is not None else None
        sent = parts.get("classifier")
        if sent is not None and sent[0] == "whole":
            classifier = sent[1]
        elif sent is not None:
            _, shell, cols, dense, sparse, bias = sent
            assert classifier is not None and classifier._weights is not None
            weights = classifier._weights  # this process's own copy: patched in place
            weights.dense[:, cols] = dense
            weights.sparse[:, cols] = sparse
            weights.bias[cols] = bias
            shell.featurizer, shell._weights = classifier.featurizer, weights
            classifier = shell
        assert classifier is not None, "a first snapshot sends the whole classifier"
        faq = parts["faq"] if "faq" in parts else current.faq if current is not None else None
        empty = np.zeros((0, 0), dtype=np.float32)
        self._model = _Model(classifier, {}, parts["train_seconds"], faq, [], [], empty,
                             csr_matrix((0, 0)))  # fmt: skip

    def _spawn_worker(self) -> ParseWorker | None:
        try:
            return ParseWorker(self.encoder.init_args())
        except Exception:  # no process of its own here (a platform without socket pairs…)
            log.exception("could not start the parse worker; parsing in this process")
            return None

    def _adopt_worker(self, worker: ParseWorker) -> bool:
        """Give a starting worker the current model and parse with it from then on."""
        try:
            with self._worker_lock:
                blob, held = self.snapshot()
                worker.update(blob)
                if self._closed:
                    raise WorkerGone("engine closed")
                previous, self._worker, self._held = self._worker, worker, held
        except WorkerGone as exc:
            log.warning("parse worker not started (%s); parsing in this process", exc)
            worker.close()
            return False
        if previous is not None:
            previous.close()
        log.info("parsing in a worker process (pid %d)", worker.pid)
        return True

    def _send_snapshot(self) -> None:
        """After a model or entity change: the worker gets it before the next batch."""
        with self._worker_lock:
            worker = self._worker
            if worker is None:
                return
            try:
                blob, held = self.snapshot(self._held)
                worker.update(blob)
                self._held = held
            except WorkerGone as exc:
                self._lose_worker(worker, exc)

    def _lose_worker(self, worker: ParseWorker, why: Exception) -> None:
        log.warning("%s; parsing in this process until a new worker is ready", why)
        if self._worker is worker:
            self._worker = None
            self._worker_lost_at = time.monotonic()
        threading.Thread(target=worker.close, name="nlu-worker-close", daemon=True).start()

    def _run_batch(self, items: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
        """A micro-batch: in the worker process when there is one, here otherwise."""
        worker = self._worker
        if worker is not None:
            try:
                return worker.parse(items)
            except WorkerGone as exc:
                with self._worker_lock:
                    self._lose_worker(worker, exc)
        elif (
            self._worker_lost_at is not None
            and not self._closed
            and time.monotonic() - self._worker_lost_at > WORKER_RESTART_SECONDS
        ):
            self._worker_lost_at = None
            self.worker_starting = threading.Thread(
                target=self.start_worker, name="nlu-worker-start", daemon=True
            )
            self.worker_starting.start()
        return self._parse_batch(items)

    def parse_batch(self, items: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
        """Parse (text, language) pairs here, in one batch (what a parse worker runs)."""
        return self._parse_batch(items)

    # -- parsing ----------------------------------------------------------------------------

    def parse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        """Rasa-compatible parse plus `lang` and `faq`; never raises on odd text."""
        return self._parse_batch([(text, lang)])[0]

    async def aparse(self, text: str, lang: str | None = None) -> dict[str, Any]:
        """`parse` on the micro-batcher's thread, so the event loop never waits on the encoder;
        a text parsed lately (same language hint, same model) is answered from memory."""
        key = (text, lang)
        parses, generation = self._parses, self._generation
        kept = parses.get(key)
        if kept is not None:
            parses.move_to_end(key)
            self.cache_hits += 1
            return pickle.loads(kept)  # a copy of its own: a caller may change it
        result = await asyncio.wrap_future(self._batcher.submit(key))
        if generation == self._generation and parses is self._parses:
            parses[key] = pickle.dumps(result, protocol=5)
            if len(parses) > PARSE_CACHE_SIZE:
                parses.popitem(last=False)
        return result

    def parse_many(self, texts: list[str], lang: str | None = None) -> list[dict[str, Any]]:
        """Parse a batch with one encoder call per BATCH_SIZE texts (throughput under load)."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(texts), BATCH_SIZE):
            out.extend(self._parse_batch([(t, lang) for t in texts[i : i + BATCH_SIZE]]))
        return out

    def _parse_batch(self, items: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
        """One encoder call, one sparse transform, one product per block for the batch."""
        raws = [t if isinstance(t, str) else str(t or "") for t, _ in items]
        cleaned = [clean(r) for r in raws]
        langs = [
            lang or detect_language(c) or self.default_language
            for (_, lang), c in zip(items, cleaned, strict=True)
        ]
        out: list[dict[str, Any] | None] = [None] * len(items)
        wanted = [i for i, c in enumerate(cleaned) if has_letters(c)]
        for i in set(range(len(items))) - set(wanted):
            out[i] = _result(raws[i], FALLBACK, 0.0, [], [], langs[i], None)
        if wanted:
            model = self._model  # one read: a concurrent retrain cannot mix two models
            texts = [cleaned[i] for i in wanted]
            # The encoder reads Polish typed without its letters as unrelated strings: it
            # gets the marked spelling, the one its training examples are written in.
            dense = self.encoder.encode_recent(
                [
                    with_polish_words(t) if langs[i] == "pl" else t
                    for i, t in zip(wanted, texts, strict=True)
                ]
            )
            sparse = model.classifier.featurizer.transform(texts)
            clf = model.classifier
            preds = clf.rank(clf.probabilities(dense, sparse), limit=RANKING_SIZE)
            hits = model.faq.best(dense, sparse) if model.faq is not None else None
            for j, i in enumerate(wanted):
                hit = hits[j] if hits is not None else None
                out[i] = self._finish(model, raws[i], cleaned[i], langs[i], preds[j], hit)
        return [r for r in out if r is not None]

    def _finish(
        self,
        model: _Model,
        raw: str,
        cleaned: str,
        detected: str,
        pred: Prediction,
        hit: tuple[FaqEntry, float] | None,
    ) -> dict[str, Any]:
        entities = self._entities.extract(cleaned, detected)
        ranking = pred.ranking[: RANKING_SIZE - 1]
        name, confidence = ranking[0]
        if model.classifier.is_out_of_scope(pred):
            name, confidence = FALLBACK, max(pred.oos_probability, 1.0 - ranking[0][1])
            ranking = [(FALLBACK, confidence), *ranking]

        faq_part = None
        faq = model.faq
        exact = faq.exact(cleaned) if faq is not None else None
        if exact is not None:
            # One of the stored questions word for word: that entry, whatever the classifier
            # makes of it (its confidence depends on the data and the CPU's arithmetic).
            hit = (exact, 1.0)
        if faq is not None and hit is not None and hit[1] >= faq.threshold:
            entry, score = hit
            faq_part = entry.to_dict(detected, score)
            intent_conf = 0.0 if name in (FALLBACK, *FAQ_YIELDING_INTENTS) else confidence
            if (exact is not None or score > intent_conf) and entry.intent != name:
                ranking = [(FAQ_INTENT, score), *[r for r in ranking if r[0] != FALLBACK]]
                name, confidence = FAQ_INTENT, score
        if cleaned != raw:
            entities = _shift(raw, cleaned, entities)
        return _result(raw, name, confidence, ranking, entities, detected, faq_part)


def _same_faq(faq: FaqIndex, fitted: FaqIndex | None) -> bool:
    return (
        fitted is not None and faq.threshold == fitted.threshold and faq.entries == fitted.entries
    )


def _changes(
    before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> tuple[Counter[str], Counter[str]]:
    """How many (text, intent) examples each intent gained and lost."""
    old, new = Counter(before), Counter(after)
    added: Counter[str] = Counter()
    removed: Counter[str] = Counter()
    for (_, intent), n in (new - old).items():
        added[intent] += n
    for (_, intent), n in (old - new).items():
        removed[intent] += n
    return added, removed


def encode_with_progress(
    encoder: Encoder, texts: list[str], progress: bool, label: str
) -> np.ndarray:
    """Encode with a rich progress bar when asked (first start, evaluation) and shown on a
    terminal; in a log file the encoder's own log lines say it."""
    if not progress:
        return encoder.encode(texts)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), transient=True,
    )  # fmt: skip
    if not bar.console.is_terminal:
        return encoder.encode(texts)
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

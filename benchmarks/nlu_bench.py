"""NLU benchmarks: BANKING77 (full, 10-shot), CLINC150 (in-scope + OOS), training, speed.

    HF_HUB_OFFLINE=1 python benchmarks/nlu_bench.py [--data ../shared/data/intents]
        [--model PATH_OR_NAME] [--backend auto|onnx-int8|onnx|torch] [--json]
        [--only banking|clinc|train|speed]

Uses exactly the classifier the bot uses (intents.classifier.IntentClassifier). For
CLINC150 the out-of-scope threshold is chosen on the official validation split and the
test split is scored once at that threshold. Training figures, per dataset (CLINC150's
training split is the 15k-example / 150-intent set), embeddings already computed: the full
fit's wall-clock and CPU seconds (all threads) and iterations, measured without tracing;
its peak memory from a second, traced run (tracemalloc: what the fit allocates; tracing
slows a fit several times, so that run is not timed); and the update after one added
example (what an operator's edit costs). The load average is printed with them: on a
shared machine compare CPU seconds. Speed: parse latency one
message at a time, and throughput batched (parse_many) and micro-batched (32 concurrent
`aparse` callers, as the server's web chat customers are).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents.classifier import IntentClassifier  # noqa: E402
from intents.data import FALLBACK, OOS_LABELS, load_intents_dir, read_jsonl  # noqa: E402
from intents.encoder import Encoder  # noqa: E402
from intents.engine import NluEngine  # noqa: E402
from intents.evaluation import evaluate  # noqa: E402


def _clinc(enc: Encoder, folder: Path) -> dict[str, Any]:
    def load(name: str) -> tuple[list[str], list[str], np.ndarray]:
        rows = read_jsonl(folder / f"{name}.jsonl")
        texts = [r["text"] for r in rows]
        labels = ["oos" if r["intent"] in OOS_LABELS else r["intent"] for r in rows]
        return texts, labels, enc.encode(texts)

    tr_t, tr_l, tr_x = load("train")
    va_t, va_l, va_x = load("val")
    te_t, te_l, te_x = load("test")
    started, cpu = time.perf_counter(), time.process_time()
    clf = IntentClassifier().fit(tr_t, [FALLBACK if x == "oos" else x for x in tr_l], tr_x)
    train_seconds = time.perf_counter() - started
    train_cpu = time.process_time() - cpu

    def metrics(preds: list[Any], gold: list[str], th: float) -> tuple[float, float]:
        ok = n_in = oos_hit = n_oos = 0
        for p, g in zip(preds, gold, strict=True):
            label = "oos" if clf.is_out_of_scope(p, th) else p.ranking[0][0]
            if g == "oos":
                n_oos += 1
                oos_hit += label == "oos"
            else:
                n_in += 1
                ok += label == g
        return ok / n_in, oos_hit / n_oos

    va_p = clf.predict(va_t, va_x)
    grid = [round(t, 2) for t in np.arange(0.05, 0.95, 0.01)]
    # The threshold that maximises in-scope accuracy + OOS recall on validation.
    best = max(grid, key=lambda th: sum(metrics(va_p, va_l, th)))
    te_p = clf.predict(te_t, te_x)
    acc, rec = metrics(te_p, te_l, best)
    default_acc, default_rec = metrics(te_p, te_l, clf.oos_threshold)
    return {
        "threshold": best,
        "in_scope_accuracy": round(acc, 4),
        "oos_recall": round(rec, 4),
        "at_default_threshold": {"threshold": clf.oos_threshold,
                                 "in_scope_accuracy": round(default_acc, 4),
                                 "oos_recall": round(default_rec, 4)},
        "train_seconds": round(train_seconds, 2),
        "train_cpu_seconds": round(train_cpu, 2),
        "train_iterations": clf.iterations,
        "n_train": len(tr_t),
        "n_intents": len(set(tr_l)),
    }  # fmt: skip


def _training(enc: Encoder, folder: Path) -> dict[str, Any]:
    """Full fit and one-example update, per dataset, through the bot's NluEngine."""
    sets: dict[str, Any] = {"demo intents": load_intents_dir()}
    for name, path in (("BANKING77", folder / "banking77" / "train.jsonl"),
                       ("CLINC150 (15k / 150)", folder / "clinc150" / "train.jsonl")):  # fmt: skip
        if path.is_file():
            examples: dict[str, dict[str, list[str]]] = {}
            for r in read_jsonl(path):
                examples.setdefault(r["intent"], {}).setdefault("en", []).append(r["text"])
            sets[name] = examples
    out: dict[str, Any] = {}
    NluEngine(enc, {"a": {"en": ["hello there"]}, "b": {"en": ["bye now"]}}).close()  # warm-up
    for name, examples in sets.items():
        enc.encode([t for by in examples.values() for ts in by.values() for t in ts])
        load = os.getloadavg()[0]
        started, cpu = time.perf_counter(), time.process_time()
        engine = NluEngine(enc, examples)
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        full = engine.last_retrain
        edited = {i: {lang: list(t) for lang, t in by.items()} for i, by in examples.items()}
        first = next(iter(edited))
        lang = next(iter(edited[first]))
        edited[first][lang].append(f"{edited[first][lang][0]} (an operator's new example)")
        engine.retrain(edited)
        edit = engine.last_retrain
        engine.close()
        tracemalloc.start()
        NluEngine(enc, examples).close()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        out[name] = {
            "examples": full["examples"], "intents": len(engine.intents),
            "full_seconds": round(wall, 2), "full_cpu_seconds": round(cpu, 2),
            "full_fit_seconds": full["seconds"], "full_iterations": full["iterations"],
            "full_peak_mb": round(peak / 2**20),
            "load_average": [round(load, 2), round(os.getloadavg()[0], 2)],
            "edit_mode": edit["mode"], "edit_seconds": edit["seconds"],
            "edit_iterations": edit["iterations"],
        }  # fmt: skip
    return out


def _speed(enc: Encoder, heldout: list[str]) -> dict[str, Any]:
    from knowledge.catalog import Catalog
    from knowledge.faq import FaqIndex

    engine = NluEngine(
        enc,
        load_intents_dir(),
        products=Catalog.load().entity_synonyms(),
        faq=FaqIndex.load(),
    )
    for text in heldout[:20]:  # warm-up
        engine.parse(text + " .")
    times = []
    for text in heldout:
        started = time.perf_counter()
        engine.parse(text)  # unique texts: no in-memory cache hits
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    repeat = []
    for text in heldout[:100]:
        started = time.perf_counter()
        engine.parse(text)  # second time: served by the in-memory cache
        repeat.append((time.perf_counter() - started) * 1000)
    batch = [f"{t} #{i}" for i, t in enumerate(heldout * 2)][:512]
    started = time.perf_counter()
    engine.parse_many(batch)
    batched = len(batch) / (time.perf_counter() - started)
    micro = [f"{t} ~{i}" for i, t in enumerate(heldout * 2)][:512]
    before = engine.batches

    async def customers(n: int = 32) -> None:
        queue = list(micro)

        async def customer() -> None:
            while queue:
                await engine.aparse(queue.pop())

        await asyncio.gather(*(customer() for _ in range(n)))

    started = time.perf_counter()
    asyncio.run(customers())
    micro_rate = len(micro) / (time.perf_counter() - started)
    runs = engine.batches[0] - before[0]
    return {
        "train_demo_seconds": engine.last_retrain["seconds"],
        "demo_examples": sum(len(v) for by in engine.examples.values() for v in by.values()),
        "parse_p50_ms": round(times[len(times) // 2], 2),
        "parse_p99_ms": round(times[int(len(times) * 0.99) - 1], 2),
        "parse_cached_p50_ms": round(sorted(repeat)[len(repeat) // 2], 3),
        "batched_msgs_per_s": round(batched, 1),
        "micro_batched_msgs_per_s": round(micro_rate, 1),
        "micro_batch_mean_size": round(len(micro) / max(runs, 1), 1),
        "n_latency": len(times),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "intents")
    ap.add_argument("--model", default=None)
    ap.add_argument("--backend", default="auto")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".omnibot" / "cache")
    ap.add_argument("--only", choices=["banking", "clinc", "train", "speed"], action="append")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    args = ap.parse_args(argv)
    only = set(args.only or ["banking", "clinc", "train", "speed"])

    started = time.perf_counter()
    enc = Encoder(args.model, args.cache_dir, backend=args.backend)
    out: dict[str, Any] = {
        "model": enc.model_name, "backend": enc.backend,
        "load_seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    say = (lambda *_: None) if args.json else print
    say(f"model {enc.model_name} backend {enc.backend} (load {out['load_seconds']} s)")
    bank = args.data / "banking77"
    if "banking" in only:
        for name, train in (("banking77_full", "train"), ("banking77_10shot", "train_10shot")):
            r = evaluate(bank / f"{train}.jsonl", bank / "test.jsonl", encoder=enc, progress=False)
            out[name] = {k: r[k] for k in ("accuracy", "macro_f1", "train_seconds", "n_train")}
            say(f"{name:18} accuracy {100 * r['accuracy']:.2f}%  macro-F1 {100 * r['macro_f1']:.2f}"
                f"  train {r['train_seconds']:.1f} s on {r['n_train']}")  # fmt: skip
    if "clinc" in only:
        c = _clinc(enc, args.data / "clinc150")
        out["clinc150"] = c
        say(
            f"clinc150           in-scope {100 * c['in_scope_accuracy']:.2f}%  OOS recall "
            f"{100 * c['oos_recall']:.2f}%  at threshold {c['threshold']} (chosen on val)"
        )
        say(f"                   training {c['n_train']} examples / {c['n_intents']} intents: "
            f"{c['train_seconds']} s ({c['train_cpu_seconds']} s CPU, "
            f"{c['train_iterations']} it.)")  # fmt: skip
        d = c["at_default_threshold"]
        say(
            f"                   at the default threshold {d['threshold']}: in-scope "
            f"{100 * d['in_scope_accuracy']:.2f}%  OOS recall {100 * d['oos_recall']:.2f}%"
        )
    if "train" in only:
        t = _training(enc, args.data)
        out["training"] = t
        for name, r in t.items():
            say(f"train {name:22} {r['examples']:>6} examples / {r['intents']:>3} intents: full "
                f"{r['full_seconds']:6.2f} s, {r['full_cpu_seconds']:.2f} s CPU "
                f"({r['full_iterations']} it.; the fit alone {r['full_fit_seconds']:.2f} s), "
                f"peak {r['full_peak_mb']} MB (traced run); one added example: "
                f"{r['edit_seconds']:.2f} s ({r['edit_mode']}, {r['edit_iterations']} it.); "
                f"load average {r['load_average'][0]}–{r['load_average'][1]}")  # fmt: skip
    if "speed" in only:
        texts = [r["text"] for f in ("heldout_pl", "heldout_en")
                 for r in read_jsonl(ROOT / "intents" / "data" / f"{f}.jsonl")]  # fmt: skip
        s = _speed(enc, texts)
        out["speed"] = s
        say(f"train demo         {s['train_demo_seconds']} s ({s['demo_examples']} examples)")
        say(
            f"parse latency      p50 {s['parse_p50_ms']} ms  p99 {s['parse_p99_ms']} ms "
            f"(n={s['n_latency']}; repeated text p50 {s['parse_cached_p50_ms']} ms)"
        )
        say(f"batched throughput {s['batched_msgs_per_s']} messages/s (parse_many, 512 msgs)")
        say(f"micro-batched      {s['micro_batched_msgs_per_s']} messages/s (32 concurrent aparse "
            f"callers; mean batch {s['micro_batch_mean_size']})")  # fmt: skip
    if args.json:
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

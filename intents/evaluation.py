"""`omnibot eval`: train the bot's classifier on a JSONL file, score it on another."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from intents.classifier import DEFAULT_OOS_THRESHOLD, IntentClassifier
from intents.data import FALLBACK, OOS_LABELS, read_jsonl
from intents.encoder import Encoder
from intents.engine import encode_with_progress
from intents.text import clean

OOS = "oos"


def evaluate(
    train_path: Path,
    test_path: Path,
    *,
    model: str | None = None,
    plot: Path | None = None,
    progress: bool = True,
    cache_dir: Path | None = Path(".omnibot/cache"),
    oos_threshold: float = DEFAULT_OOS_THRESHOLD,
    encoder: Encoder | None = None,
) -> dict[str, Any]:
    """Accuracy, macro-F1, out-of-scope recall/precision, confused pairs and timings.

    Test rows labelled `oos` (or `nlu_fallback`/`out_of_scope`) are out of scope; training
    rows with those labels are used as negatives, as the bot does. The out-of-scope
    threshold is applied only when the test set has out-of-scope rows; without them the
    score is the usual closed-set accuracy (a trained `oos` class can still be predicted).
    """
    train = read_jsonl(train_path)
    test = read_jsonl(test_path)
    if not train or not test:
        raise ValueError("the training and test files must each have at least one row")
    enc = encoder or Encoder(model, cache_dir)
    train_texts = [clean(r["text"]) for r in train]
    test_texts = [clean(r["text"]) for r in test]
    train_labels = [FALLBACK if r["intent"] in OOS_LABELS else r["intent"] for r in train]
    gold = [OOS if r["intent"] in OOS_LABELS else r["intent"] for r in test]

    started = time.perf_counter()
    x_train = encode_with_progress(enc, train_texts, progress, "Encoding training set")
    x_test = encode_with_progress(enc, test_texts, progress, "Encoding test set")
    encode_seconds = time.perf_counter() - started

    started = time.perf_counter()
    clf = IntentClassifier(oos_threshold=oos_threshold).fit(train_texts, train_labels, x_train)
    train_seconds = time.perf_counter() - started
    preds = clf.predict(test_texts, x_test)
    threshold = oos_threshold if OOS in gold else 0.0
    predicted = [OOS if clf.is_out_of_scope(p, threshold) else p.ranking[0][0] for p in preds]
    result = score(gold, predicted)
    result.update(
        train_seconds=round(train_seconds, 3),
        encode_seconds=round(encode_seconds, 3),
        n_train=len(train),
        n_test=len(test),
        oos_threshold=oos_threshold,
        model=enc.model_name,
        backend=enc.backend,
    )
    if plot is not None:
        plot_confusion(gold, predicted, plot)
    return result


def score(gold: list[str], predicted: list[str]) -> dict[str, Any]:
    """Metrics for gold vs predicted labels, `oos` meaning out of scope."""
    from sklearn.metrics import f1_score

    g = np.asarray(gold)
    p = np.asarray(predicted)
    in_scope = g != OOS
    has_oos = bool((~in_scope).any())
    out: dict[str, Any] = {
        "accuracy": round(float((g == p).mean()), 4),
        "in_scope_accuracy": round(float((g[in_scope] == p[in_scope]).mean()), 4)
        if in_scope.any()
        else None,
        "macro_f1": round(float(f1_score(g, p, average="macro", zero_division=0)), 4),
        "oos_recall": None,
        "oos_precision": None,
    }
    if has_oos:
        flagged = p == OOS
        out["oos_recall"] = round(float(flagged[~in_scope].mean()), 4)
        out["oos_precision"] = (
            round(float((~in_scope)[flagged].mean()), 4) if flagged.any() else 0.0
        )
    pairs = Counter((a, b) for a, b in zip(gold, predicted, strict=True) if a != b)
    out["confused_pairs"] = [
        {"gold": a, "predicted": b, "count": n} for (a, b), n in pairs.most_common(10)
    ]
    return out


def format_report(result: dict[str, Any]) -> str:
    """Human-readable summary of `evaluate` for the CLI."""

    def pct(v: float | None) -> str:
        return "n/a (no oos rows)" if v is None else f"{100 * v:.1f}%"

    lines = [
        f"model            {result.get('model', '?')} ({result.get('backend', '?')})",
        f"examples         train {result['n_train']}, test {result['n_test']}",
        f"accuracy         {pct(result['accuracy'])}",
    ]
    if result.get("oos_recall") is not None:
        lines.append(f"in-scope acc.    {pct(result.get('in_scope_accuracy'))}")
    lines += [
        f"macro F1         {100 * result['macro_f1']:.1f}",
        f"oos recall       {pct(result['oos_recall'])}",
        f"oos precision    {pct(result['oos_precision'])}",
        f"training time    {result['train_seconds']:.2f} s "
        f"(+ {result.get('encode_seconds', 0):.1f} s encoding)",
    ]
    if result.get("confused_pairs"):
        lines.append("most confused (gold -> predicted):")
        for pair in result["confused_pairs"]:
            lines.append(f"  {pair['count']:>4}  {pair['gold']} -> {pair['predicted']}")
    return "\n".join(lines)


def plot_confusion(gold: list[str], predicted: list[str], path: Path) -> None:
    """A confusion matrix PNG (up to 40 labels) or the top confused pairs as bars."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import confusion_matrix

    labels = sorted(set(gold) | set(predicted))
    path.parent.mkdir(parents=True, exist_ok=True)
    if len(labels) <= 40:
        cm = confusion_matrix(gold, predicted, labels=labels)
        fig, ax = plt.subplots(figsize=(max(6, len(labels) * 0.35 + 2),) * 2)
        ax.imshow(cm, cmap="Blues")
        ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
        ax.set_yticks(range(len(labels)), labels, fontsize=7)
        for i in range(len(labels)):
            for j in range(len(labels)):
                if cm[i, j]:
                    color = "white" if cm[i, j] > cm.max() / 2 else "black"
                    ax.text(j, i, str(cm[i, j]), ha="center", va="center", fontsize=6, color=color)
        ax.set_xlabel("predicted")
        ax.set_ylabel("gold")
    else:
        pairs = Counter((a, b) for a, b in zip(gold, predicted, strict=True) if a != b)
        top = pairs.most_common(20)[::-1]
        fig, ax = plt.subplots(figsize=(9, 7))
        ax.barh([f"{a} → {b}" for (a, b), _ in top], [n for _, n in top], color="#4a7ab7")
        ax.tick_params(axis="y", labelsize=7)
        ax.set_xlabel("errors")
    ax.set_title("Intent confusion")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)

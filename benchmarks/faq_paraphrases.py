"""FAQ paraphrases: is an FAQ entry found from ordinary rewordings of its questions?

    HF_HUB_OFFLINE=1 python benchmarks/faq_paraphrases.py [--backend onnx-int8] [--show]

The demo FAQ plus the entries of tests/knowledge/data/operator_faq.yaml (what an operator
adds: parking, dogs, toilets... — the intent data knows nothing about them) are given to
the bot's NLU engine; each message of tests/knowledge/data/faq_paraphrases.jsonl (held out:
never a stored question, pl + en, other word order, synonyms, the other language) is parsed
as a customer's message. A hit: the parse carries that entry (`faq.id`) and the bot answers
with it (intent `faq`, or the entry's own dialogue intent).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intents import NluEngine  # noqa: E402
from knowledge.faq import DEFAULT_FAQ, FaqIndex  # noqa: E402

DATA = ROOT / "tests" / "knowledge" / "data"


def operator_faq() -> FaqIndex:
    """The demo FAQ with the operator's entries added."""
    raw = yaml.safe_load(DEFAULT_FAQ.read_text(encoding="utf-8"))
    extra = yaml.safe_load((DATA / "operator_faq.yaml").read_text(encoding="utf-8"))
    raw["faq"].extend(extra["faq"])
    return FaqIndex.from_dict(raw)


def paraphrases() -> list[dict[str, str]]:
    lines = (DATA / "faq_paraphrases.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def hit_rate(engine: Any, rows: list[dict[str, str]]) -> dict[str, Any]:
    """Share of rows answered with their entry, overall, per language and for new entries."""
    operator_ids = {
        e["id"] for e in yaml.safe_load((DATA / "operator_faq.yaml").read_text())["faq"]
    }
    index = operator_faq()
    intents = {e.id: e.intent for e in index.entries}
    misses = []
    groups: dict[str, list[bool]] = {"all": [], "pl": [], "en": [], "new entries": []}
    for row in rows:
        parse = engine.parse(row["text"])
        found = (parse.get("faq") or {}).get("id")
        name = parse["intent"]["name"]
        ok = found == row["faq"] and name in ("faq", intents.get(row["faq"]))
        groups["all"].append(ok)
        groups[row["lang"]].append(ok)
        if row["faq"] in operator_ids:
            groups["new entries"].append(ok)
        if not ok:
            misses.append({"text": row["text"], "want": row["faq"], "faq": found, "intent": name})
    return {
        "rates": {k: (round(sum(v) / len(v), 4), len(v)) for k, v in groups.items() if v},
        "misses": misses,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--backend", default="onnx-int8")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".omnibot" / "cache")
    ap.add_argument("--show", action="store_true", help="list the misses")
    args = ap.parse_args(argv)
    engine = NluEngine.load(cache_dir=args.cache_dir, backend=args.backend, faq=FaqIndex.load())
    engine.set_faq(operator_faq())  # as an operator's save does: no retrain
    result = hit_rate(engine, paraphrases())
    for group, (rate, n) in result["rates"].items():
        print(f"FAQ paraphrases {group:12} {100 * rate:5.1f} % of {n}")
    if args.show:
        for miss in result["misses"]:
            print(f"  miss: {miss}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Training data: the human-readable YAML intent files and JSONL test sets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from intents.yamlfile import read_yaml

DEFAULT_INTENTS_DIR = Path(__file__).resolve().parent / "data"
OOS_LABELS = frozenset({"oos", "nlu_fallback", "out_of_scope"})
FALLBACK = "nlu_fallback"
LANGS = ("pl", "en")

# {intent: {lang: [example, ...]}} - also the shape NluEngine.retrain() takes.
Examples = dict[str, dict[str, list[str]]]


class IntentDataError(ValueError):
    """An intent file is not valid; the message says which and why."""


@dataclass
class Example:
    text: str
    intent: str
    lang: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)


def load_intents_dir(path: Path | None = None) -> Examples:
    """Read every *.yaml/*.yml intent file in a folder (default: the demo pizzeria)."""
    folder = path or DEFAULT_INTENTS_DIR
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    if not files:
        raise IntentDataError(f"no intent YAML files in {folder}")
    out: Examples = {}
    for file in files:
        for ex in load_intent_file(file):
            out.setdefault(ex.intent, {}).setdefault(ex.lang or "en", []).append(ex.text)
    return out


def load_intent_file(path: Path) -> list[Example]:
    try:
        raw = read_yaml(path) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise IntentDataError(f"cannot read {path}: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("intents"), dict):
        raise IntentDataError(f"{path}: expected a mapping with an 'intents' mapping")
    lang = str(raw.get("language") or "en")
    out: list[Example] = []
    for intent, items in raw["intents"].items():
        if not isinstance(items, list):
            raise IntentDataError(f"{path}: intent {intent!r} must list examples")
        for item in items:
            if isinstance(item, dict) and "text" in item:
                text, ents = str(item["text"]), list(item.get("entities") or [])
            elif isinstance(item, str | int | float) and not isinstance(item, bool):
                text, ents = str(item), []
            else:
                raise IntentDataError(
                    f"{path}: intent {intent!r}: {item!r} is not text; quote it in the YAML "
                    "(yes/no/on/off and 'word: value' need quotes)"
                )
            if text.strip():
                out.append(Example(text.strip(), str(intent), lang, ents))
    return out


def dump_intent_file(examples: list[Example], lang: str) -> str:
    """Our YAML format for one language; annotated examples keep their entities."""
    intents: dict[str, list[Any]] = {}
    for ex in examples:
        item: Any = {"text": ex.text, "entities": ex.entities} if ex.entities else ex.text
        intents.setdefault(ex.intent, []).append(item)
    body = {"language": lang, "intents": intents}
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)


def flatten(examples: Examples) -> tuple[list[str], list[str]]:
    """Texts and labels, out-of-scope intents folded into FALLBACK."""
    texts: list[str] = []
    labels: list[str] = []
    for intent, by_lang in examples.items():
        label = FALLBACK if intent in OOS_LABELS else intent
        for items in by_lang.values():
            for text in items:
                texts.append(text)
                labels.append(label)
    return texts, labels


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Rows of {"text", "intent"}; blank lines skipped, a bad line named in the error."""
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                rows.append({"text": str(row["text"]), "intent": str(row["intent"])})
            except (ValueError, KeyError, TypeError) as exc:
                raise IntentDataError(f"{path}:{n}: expected {{'text', 'intent'}}: {exc}") from exc
    return rows

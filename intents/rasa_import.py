"""Import Rasa `nlu.yml` training data (Rasa 2/3 YAML) into Omnibot's intent format.

`[text](entity)`, `[text](entity:value)` and `[text]{"entity": ..., "value": ...}`
annotations are stripped from the example text and kept as entity annotations with
offsets in the plain text. Synonyms and lookup tables are returned for the catalog side.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from intents.data import Example, IntentDataError, dump_intent_file

# [text](entity) | [text](entity:value) | [text]{"entity": ...}
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")
_ITEM = re.compile(r"^\s*-\s?(.*)$")


class RasaNluError(IntentDataError):
    """A Rasa NLU file that cannot be read, and where: `problem` names the kind
    (nlu_not_list, bad_annotation, annotation_without_entity, no_examples), `line` the line
    of the file (1-based; 0 when not known), `intent` and `annotation` what is there."""

    def __init__(
        self, message: str, problem: str, *, line: int = 0, intent: str = "", annotation: str = ""
    ) -> None:
        where = f"line {line}: " if line else ""
        super().__init__(where + (f"intent {intent}: " if intent else "") + message)
        self.problem = problem
        self.line = line
        self.intent = intent
        self.annotation = annotation


@dataclass
class RasaNlu:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, list[str]] = field(default_factory=dict)  # value -> surface forms
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return list(dict.fromkeys(e.intent for e in self.examples))

    def to_examples(self) -> dict[str, dict[str, list[str]]]:
        """The {intent: {lang: [text]}} shape NluEngine.retrain() takes."""
        out: dict[str, dict[str, list[str]]] = {}
        for ex in self.examples:
            out.setdefault(ex.intent, {}).setdefault(ex.lang or "en", []).append(ex.text)
        return out


def parse_example(line: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entity annotations of one annotated Rasa example."""
    entities: list[dict[str, Any]] = []
    parts: list[str] = []
    pos = 0
    length = 0
    for m in _ANNOTATION.finditer(line):
        before = line[pos : m.start()]
        parts.append(before)
        length += len(before)
        surface = m.group("text")
        start = length
        parts.append(surface)
        length += len(surface)
        pos = m.end()
        entity: dict[str, Any]
        if m.group("json"):
            try:
                meta = json.loads(m.group("json"))
            except ValueError as exc:
                raise RasaNluError(
                    f"bad entity annotation {m.group(0)!r}: {exc}",
                    "bad_annotation",
                    annotation=m.group(0),
                ) from exc
            if not isinstance(meta, dict) or "entity" not in meta:
                raise RasaNluError(
                    f"entity annotation without 'entity': {m.group(0)!r}",
                    "annotation_without_entity",
                    annotation=m.group(0),
                )
            entity = {"entity": str(meta["entity"]), "value": meta.get("value", surface)}
            entity.update({k: meta[k] for k in ("role", "group") if k in meta})
        else:
            name, _, value = m.group("short").partition(":")
            entity = {"entity": name.strip(), "value": value.strip() or surface}
        entity.update(start=start, end=start + len(surface))
        entities.append(entity)
    parts.append(line[pos:])
    return "".join(parts).strip(), entities


def _items(block: Any) -> list[str]:
    """Rasa keeps examples as a '- ' list inside a literal block, or as a list of dicts."""
    if isinstance(block, str):
        return [m.group(1).strip() for line in block.splitlines() if (m := _ITEM.match(line))]
    if isinstance(block, list):
        return [str(i.get("text", "")) if isinstance(i, dict) else str(i) for i in block]
    return []


def import_rasa_nlu(source: Path | str, *, lang: str = "en") -> RasaNlu:
    """Read a Rasa nlu.yml file (or its text); raises IntentDataError with the reason."""
    if isinstance(source, Path):
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as exc:
            raise IntentDataError(f"cannot read {source}: {exc}") from exc
    else:
        text = source
    try:
        raw = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise IntentDataError(f"not valid YAML: {exc}") from exc
    if not isinstance(raw, dict) or not isinstance(raw.get("nlu"), list):
        raise RasaNluError(
            "not a Rasa NLU file: expected a top-level 'nlu' list",
            "nlu_not_list",
            line=_line_of(text.splitlines(), "nlu:", 0),
        )
    out = RasaNlu()
    lines = text.splitlines()
    for block in raw["nlu"]:
        if not isinstance(block, dict):
            continue
        if "intent" in block:
            intent = str(block["intent"])
            for line in _items(block.get("examples")):
                try:
                    plain, ents = parse_example(line)
                except RasaNluError as exc:
                    # Where: the first line of the file with this annotation in this intent.
                    start = _line_of(lines, f"intent: {intent}", 0)
                    raise RasaNluError(
                        str(exc),
                        exc.problem,
                        line=_line_of(lines, exc.annotation, start),
                        intent=intent,
                        annotation=exc.annotation,
                    ) from exc
                if plain:
                    out.examples.append(Example(plain, intent, lang, ents))
        elif "synonym" in block:
            forms = out.synonyms.setdefault(str(block["synonym"]), [])
            forms.extend(_items(block.get("examples")))
        elif "lookup" in block:
            out.lookups.setdefault(str(block["lookup"]), []).extend(_items(block.get("examples")))
    if not out.examples:
        raise RasaNluError("the Rasa file has no intent examples", "no_examples")
    return out


def _line_of(lines: list[str], text: str, start: int) -> int:
    """The 1-based number of the first line from line `start` (1-based) holding `text`; 0
    when none does (text YAML wrote another way, e.g. with escapes in quotes)."""
    for n in range(max(start - 1, 0), len(lines)):
        if text in lines[n]:
            return n + 1
    return 0


def write_intent_file(nlu: RasaNlu, target: Path, *, lang: str = "en") -> Path:
    """Write the imported examples as one of our intent YAML files."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(dump_intent_file(nlu.examples, lang), encoding="utf-8")
    return target

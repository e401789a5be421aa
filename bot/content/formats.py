"""Content to and from files: our YAML (intents/, knowledge/) and Rasa nlu.yml + domain.yml.

A bundle is `{relative path: text}`; it is written as a folder or a zip. Our layout:
`intents/pl.yaml`, `intents/en.yaml`, `intents/responses.yaml`, `knowledge/faq.yaml`,
`knowledge/catalog.yaml`. Rasa layout: `data/nlu_<lang>.yml`, `domain.yml` (responses
`utter_<intent>`, one variation per language with a `language` slot condition).
"""

from __future__ import annotations

import io
import zipfile
import zlib
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from bot.content.shapes import (
    CatalogFileShape,
    FaqFileShape,
    IntentFileShape,
    ResponsesFileShape,
    check_shape,
)
from bot.content.store import Data, Snapshot
from bot.content.validation import LANGS, ContentError
from intents.data import IntentDataError, load_intents_dir
from intents.rasa_import import RasaNluError, import_rasa_nlu
from intents.yamlfile import read_yaml
from knowledge.catalog import DEFAULT_CATALOG
from knowledge.faq import DEFAULT_FAQ

Items = dict[str, dict[str, Data]]
CATALOG_META = "catalog"
FAQ_META = "faq"


def _dump(body: Any) -> str:
    return yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100)


# -- our YAML -> items ---------------------------------------------------------------


def faq_items(raw: dict[str, Any]) -> Items:
    items: Items = {"faq": {}, "setting": {}}
    if "threshold" in raw:
        items["setting"][FAQ_META] = {"threshold": float(raw["threshold"])}
    for n, entry in enumerate(raw.get("faq") or [], 1):
        if not isinstance(entry, dict) or not entry.get("id"):
            raise ContentError(f"FAQ entry {n} has no id", "import_no_id", kind="faq", n=str(n))
        items["faq"][str(entry["id"])] = {
            "questions": {
                str(lang): [str(q) for q in qs or []]
                for lang, qs in (entry.get("questions") or {}).items()
            },
            "answers": {str(k): str(v).strip() for k, v in (entry.get("answer") or {}).items()},
            "intent": entry.get("intent"),
            "tags": [str(t) for t in entry.get("tags") or []],
        }
    return items


def catalog_items(raw: dict[str, Any]) -> Items:
    meta = {
        "shop": dict(raw.get("shop") or {}),
        "sizes": {str(k): dict(v) for k, v in (raw.get("sizes") or {}).items()},
        "categories": [
            {"id": str(c["id"]), "name": dict(c.get("name") or {})}
            for c in raw.get("categories") or []
        ],
    }
    items: Items = {"product": {}, "setting": {CATALOG_META: meta}}
    for n, p in enumerate(raw.get("products") or [], 1):
        if not isinstance(p, dict) or not p.get("id"):
            raise ContentError(f"product {n} has no id", "import_no_id", kind="product", n=str(n))
        items["product"][str(p["id"])] = {
            "category": str(p.get("category") or ""),
            "names": {str(k): str(v) for k, v in (p.get("name") or {}).items()},
            "aliases": [str(a) for a in p.get("aliases") or []],
            "descriptions": {str(k): str(v) for k, v in (p.get("description") or {}).items()},
            "allergens": [str(a) for a in p.get("allergens") or []],
            "prices": {str(k): v for k, v in (p.get("prices") or {}).items()},
            "available": bool(p.get("available", True)),
            "tags": [t for t in ("vegetarian", "spicy") if p.get(t)],
        }
    return items


def default_items(catalog_path: Path | None = None) -> Items:
    """The demo content shipped in intents/data and knowledge/data (the first seed)."""
    examples = load_intents_dir()
    items: Items = {"intent": {}, "faq": {}, "product": {}, "setting": {}}
    for name, by_lang in examples.items():
        items["intent"][name] = {"examples": {k: list(v) for k, v in by_lang.items()},
                                 "responses": {}}  # fmt: skip
    _merge(items, faq_items(read_yaml(DEFAULT_FAQ) or {}))
    path = catalog_path or DEFAULT_CATALOG
    _merge(items, catalog_items(read_yaml(path) or {}))
    return items


def _merge(into: Items, more: Items) -> None:
    for kind, by_key in more.items():
        into.setdefault(kind, {}).update(by_key)


# -- items -> our YAML ---------------------------------------------------------------


def catalog_dict(snap: Snapshot) -> dict[str, Any]:
    """The catalog YAML shape (what knowledge.catalog.Catalog.from_dict reads)."""
    meta = snap.settings.get(CATALOG_META) or {}
    products = []
    for key, p in snap.products.items():
        item: dict[str, Any] = {"id": key, "category": p["category"], "name": p["names"]}
        if p.get("aliases"):
            item["aliases"] = p["aliases"]
        if p.get("descriptions"):
            item["description"] = p["descriptions"]
        if p.get("allergens"):
            item["allergens"] = p["allergens"]
        item["prices"] = p["prices"]
        if not p.get("available", True):
            item["available"] = False
        for tag in p.get("tags") or []:
            item[tag] = True
        products.append(item)
    return {
        "shop": meta.get("shop") or {},
        "sizes": meta.get("sizes") or {},
        "categories": meta.get("categories") or [],
        "products": products,
    }


def faq_dict(snap: Snapshot) -> dict[str, Any]:
    """The FAQ YAML shape (what knowledge.faq.FaqIndex.from_dict reads)."""
    entries = []
    for key, f in snap.faq.items():
        entry: dict[str, Any] = {"id": key}
        if f.get("intent"):
            entry["intent"] = f["intent"]
        entry["questions"] = f["questions"]
        entry["answer"] = f["answers"]
        if f.get("tags"):
            entry["tags"] = f["tags"]
        entries.append(entry)
    threshold = (snap.settings.get(FAQ_META) or {}).get("threshold")
    return {**({"threshold": threshold} if threshold is not None else {}), "faq": entries}


def export_yaml(snap: Snapshot) -> dict[str, str]:
    files: dict[str, str] = {}
    for lang in LANGS:
        intents = {
            name: data["examples"][lang]
            for name, data in sorted(snap.intents.items())
            if data["examples"].get(lang)
        }
        files[f"intents/{lang}.yaml"] = _dump({"language": lang, "intents": intents})
    responses = {n: d["responses"] for n, d in sorted(snap.intents.items()) if d.get("responses")}
    files["intents/responses.yaml"] = _dump({"responses": responses})
    files["knowledge/faq.yaml"] = _dump(faq_dict(snap))
    files["knowledge/catalog.yaml"] = _dump(catalog_dict(snap))
    return files


def export_rasa(snap: Snapshot) -> dict[str, str]:
    files: dict[str, str] = {}
    for lang in LANGS:
        blocks = [
            {"intent": name, "examples": "".join(f"- {t}\n" for t in data["examples"][lang])}
            for name, data in sorted(snap.intents.items())
            if data["examples"].get(lang)
        ]
        files[f"data/nlu_{lang}.yml"] = yaml.dump(
            {"version": "3.1", "nlu": blocks},
            Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=100,
        )  # fmt: skip
    responses: dict[str, list[dict[str, Any]]] = {}
    for name, data in sorted(snap.intents.items()):
        for lang, texts in (data.get("responses") or {}).items():
            for text in texts:
                responses.setdefault(f"utter_{name}", []).append(
                    {"text": text, "condition": [{"type": "slot", "name": "language",
                                                  "value": lang}]}
                )  # fmt: skip
    domain = {
        "version": "3.1",
        "intents": sorted(snap.intents),
        "slots": {"language": {"type": "categorical", "values": list(LANGS),
                               "mappings": [{"type": "custom"}]}},
        "responses": responses,
    }  # fmt: skip
    files["domain.yml"] = _dump(domain)
    return files


class _LiteralDumper(yaml.SafeDumper):
    pass


def _literal(dumper: yaml.SafeDumper, text: str) -> yaml.Node:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_LiteralDumper.add_representer(str, _literal)


def to_zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, text in files.items():
            zf.writestr(path, text)
    return buffer.getvalue()


def write_folder(files: dict[str, str], target: Path) -> None:
    for path, text in files.items():
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text(text, encoding="utf-8")


# -- files -> changes ------------------------------------------------------------------


def read_bundle(path: Path) -> dict[str, str]:
    """A folder, a zip or one file as {relative path: text}."""
    if path.is_dir():
        return {
            str(p.relative_to(path)): p.read_text(encoding="utf-8")
            for p in sorted(path.rglob("*"))
            if p.suffix in (".yaml", ".yml") and p.is_file()
        }
    if path.suffix == ".zip":
        return unzip(path.read_bytes())
    return {path.name: path.read_text(encoding="utf-8")}


def unzip(data: bytes, max_files: int = 50, max_unpacked: int = 5_000_000) -> dict[str, str]:
    """The YAML files of a zip; refused when it has too many entries or unpacks too big.

    Sizes are counted while decompressing (an entry's declared size may lie), so a zip
    bomb stops at `max_unpacked` bytes.
    """
    files: dict[str, str] = {}
    unpacked = 0
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            entries = [info for info in zf.infolist() if not info.is_dir()]
            if len(entries) > max_files:
                raise ContentError(
                    f"the zip has {len(entries)} files; at most {max_files}",
                    "zip_too_many_files",
                    count=str(len(entries)),
                    most=str(max_files),
                )
            for info in entries:
                if not info.filename.endswith((".yaml", ".yml")):
                    continue
                with zf.open(info) as entry:
                    body = entry.read(max_unpacked - unpacked + 1)
                unpacked += len(body)
                if unpacked > max_unpacked:
                    raise ContentError(
                        f"the zip unpacks to more than {max_unpacked:,} bytes; split it up",
                        "zip_too_large",
                        bytes=str(max_unpacked),
                    )
                files[info.filename] = body.decode("utf-8")
    except (zipfile.BadZipFile, UnicodeDecodeError, NotImplementedError, RuntimeError) as exc:
        # NotImplementedError: an unknown compression; RuntimeError: an encrypted entry.
        raise ContentError(f"not a readable zip of YAML files: {exc}", "zip_unreadable") from exc
    except (EOFError, zlib.error) as exc:
        raise ContentError(f"the zip is damaged: {exc}", "zip_unreadable") from exc
    return files


def parse_bundle(files: dict[str, str], snap: Snapshot, default_language: str) -> Items:
    """What the files say, as items to upsert (intents keep languages a file lacks).

    Each file is recognised by its content: `nlu:` (Rasa NLU), `responses:` (Rasa domain
    or our responses.yaml), `language:` + `intents:` (our intent file), `faq:`, `products:`.
    """
    out: Items = {"intent": {}, "faq": {}, "product": {}, "setting": {}}

    def intent(name: str) -> Data:
        if name not in out["intent"]:
            current = snap.intents.get(name) or {"examples": {}, "responses": {}}
            out["intent"][name] = {
                "examples": dict(current["examples"]),
                "responses": dict(current.get("responses") or {}),
            }
        return out["intent"][name]

    by_lang: dict[str, list[str]]
    for path, text in sorted(files.items()):
        try:
            raw = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = str(mark.line + 1) if mark is not None else ""
            raise ContentError(
                f"{path}: not valid YAML: {exc}", "yaml_invalid", path=path, line=line
            ) from exc
        if not isinstance(raw, dict):
            raise ContentError(f"{path}: expected a YAML mapping", "yaml_not_mapping", path=path)
        shape = _shape_of(raw)
        if shape is not None:
            check_shape(path, raw, shape)
        lang = _lang_of(path, raw, default_language)
        if "nlu" in raw:
            try:
                nlu = import_rasa_nlu(text, lang=lang)
            except RasaNluError as exc:
                raise ContentError(
                    f"{path}: {exc}",
                    "rasa_nlu_invalid",
                    path=path,
                    problem=exc.problem,
                    line=str(exc.line or ""),
                    intent=exc.intent,
                    annotation=exc.annotation,
                ) from exc
            except IntentDataError as exc:
                raise ContentError(f"{path}: {exc}", "rasa_nlu_invalid", path=path) from exc
            for name, by_lang in nlu.to_examples().items():
                intent(name)["examples"][lang] = by_lang.get(lang, [])
        elif "intents" in raw:
            for name, examples in raw["intents"].items():
                if not isinstance(examples, list):
                    raise ContentError(
                        f"{path}: intent {name!r} must list examples",
                        "file_shape",
                        path=path,
                        field=f"intents.{name}",
                    )
                texts = [str(e["text"]) if isinstance(e, dict) else str(e) for e in examples]
                intent(str(name))["examples"][lang] = texts
        elif "responses" in raw:
            for name, value in raw["responses"].items():
                if str(name).startswith("utter_"):  # Rasa domain
                    target = str(name)[len("utter_") :]
                    by_lang = {}
                    for variation in value or []:
                        if isinstance(variation, dict) and variation.get("text"):
                            vlang = _condition_lang(variation) or lang
                            by_lang.setdefault(vlang, []).append(str(variation["text"]))
                elif isinstance(value, dict):  # ours: {intent: {lang: [templates]}}
                    target = str(name)
                    by_lang = {str(k): [str(t) for t in v or []] for k, v in value.items()}
                else:
                    raise ContentError(
                        f"{path}: responses of {name!r} must be a mapping",
                        "file_shape",
                        path=path,
                        field=f"responses.{name}",
                    )
                if target in snap.intents or target in out["intent"]:
                    intent(target)["responses"].update(by_lang)
        elif "faq" in raw:
            _merge(out, faq_items(raw))
        elif "products" in raw or "categories" in raw:
            _merge(out, catalog_items(raw))
        else:
            raise ContentError(
                f"{path}: not an intent, responses, FAQ, catalog or Rasa file",
                "file_kind_unknown",
                path=path,
            )
    return out


def _shape_of(raw: dict[str, Any]) -> type[BaseModel] | None:
    """The shape a file must have, by the same keys that decide how it is read."""
    if "nlu" in raw:
        return None  # Rasa NLU: its own reader names what is wrong
    if "intents" in raw:
        return IntentFileShape
    if "responses" in raw:
        return ResponsesFileShape
    if "faq" in raw:
        return FaqFileShape
    return CatalogFileShape


def _lang_of(path: str, raw: dict[str, Any], default_language: str) -> str:
    if raw.get("language") in LANGS:
        return str(raw["language"])
    stem = Path(path).stem
    for lang in LANGS:
        if stem == lang or stem.endswith(f"_{lang}") or stem.endswith(f".{lang}"):
            return lang
    return default_language


def _condition_lang(variation: dict[str, Any]) -> str | None:
    for cond in variation.get("condition") or []:
        if isinstance(cond, dict) and cond.get("name") == "language":
            value = cond.get("value")
            return str(value) if value in LANGS else None
    return None

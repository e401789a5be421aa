"""Checks on operator content; every refusal says what is wrong in words an operator reads.

Content is plain JSON-able dicts (the shapes of `bot.content.store`):
- intent: `{"examples": {lang: [text]}, "responses": {lang: [template]}}`
- faq: `{"questions": {lang: [text]}, "answers": {lang: text}, "intent": str|None, "tags": [...]}`
- product: `{"category", "names": {lang: name}, "aliases": [...], "descriptions": {lang: text},
  "allergens": [...], "prices": {size: grosze}, "available": bool, "tags": [...]}`
"""

from __future__ import annotations

import re
import string
from typing import Any

from bot.domain.refusals import Refusal
from knowledge.shop import (
    TEMPLATE_VARIABLES,
    ShopError,
    ShopFacts,
    hardcoded_facts,
    unknown_variables,
)

LANGS = ("pl", "en")
# Variables a response template may use, and what they are filled with.
RESPONSE_VARIABLES = {
    "name": "the customer's name, or nothing when it is not known",
    **TEMPLATE_VARIABLES,
}
# Intents answered by the ordering dialogue (cart, checkout, orders, hand-off, language,
# linking): their replies are computed, so operator responses cannot replace them.
DIALOGUE_OWNED_INTENTS = frozenset(
    "add_to_cart remove_from_cart change_item show_cart clear_cart checkout order_status "
    "cancel_order reorder rate_order human_handoff complaint change_language link_channels "
    "restart affirm deny inform browse_menu product_info allergens prices leave_message".split()
)
INTENT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_TEXT = 500
MAX_ANSWER = 2000
TAGS = ("vegetarian", "spicy")


class ContentError(Refusal, ValueError):
    """Content an operator tried to save is not valid (HTTP 422)."""


class ContentConflict(Refusal, ValueError):
    """The change clashes with what is stored (HTTP 409), e.g. a name already taken."""


def _item(kind: str, key: str, field: str = "", lang: str = "") -> dict[str, str]:
    """Where in an item a refusal is, as params for the staff pages (`field`: examples,
    responses, questions, answer, aliases, allergens, names, descriptions)."""
    return {"kind": kind, "key": key, "field": field, "lang": lang}


def _where(item: dict[str, str]) -> str:
    """The same in English: "intent greet, examples (pl)"."""
    where = f"{'FAQ' if item['kind'] == 'faq' else item['kind']} {item['key']}"
    if item["field"]:
        where += f", {item['field']}" + (f" ({item['lang']})" if item["lang"] else "")
    return where


def _reject_broken_text(value: Any, kind: str, key: str) -> None:
    """Lone surrogates (broken UTF-16 from a client) cannot be stored or shown."""
    if isinstance(value, str):
        if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
            item = _item(kind, key)
            raise ContentError(
                f"{_where(item)}: the text contains invalid characters", "broken_text", **item
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            _reject_broken_text(k, kind, key)
            _reject_broken_text(v, kind, key)
    elif isinstance(value, list):
        for v in value:
            _reject_broken_text(v, kind, key)


def check_intent_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ContentError("the intent name must not be empty", "needs_intent_name")
    if not INTENT_NAME.match(name):
        raise ContentError(
            f"intent name {name!r} is not valid: use lowercase letters, digits and _ "
            "(starting with a letter, at most 64 characters)",
            "bad_intent_name",
            name=name,
        )
    return name


def check_key(key: str, what: str) -> str:
    key = (key or "").strip()
    if not key:
        raise ContentError(f"the {what} id must not be empty", "needs_id", what=what)
    if not KEY.match(key):
        raise ContentError(
            f"{what} id {key!r} is not valid: use lowercase letters, digits, - and _ "
            "(at most 64 characters)",
            "bad_id",
            id=key,
        )
    return key


def check_language(value: Any, where: str, **item: str) -> str:
    """A language key of content: one of LANGS; `item` says where for the staff pages."""
    if value not in LANGS:
        known = " or ".join(LANGS)
        raise ContentError(
            f"{where}: unknown language {value!r} (use {known})",
            "unknown_language",
            **item,
            language=str(value)[:20],
            known=", ".join(LANGS),
        )
    return str(value)


def _lang(lang: Any, kind: str, key: str) -> str:
    return check_language(lang, f"{_where(_item(kind, key))}", **_item(kind, key))


def _texts(items: Any, item: dict[str, str], limit: int = MAX_TEXT) -> list[str]:
    where = _where(item)
    if not isinstance(items, list):
        raise ContentError(f"{where}: expected a list of texts", "not_a_list", **item)
    out: list[str] = []
    for one in items:
        if not isinstance(one, str):
            raise ContentError(f"{where}: {one!r} is not text", "not_text", **item)
        text = " ".join(one.split())
        if len(text) > limit:
            raise ContentError(
                f"{where}: {text[:40]!r}… is longer than {limit} characters",
                "text_too_long",
                **item,
                text=text[:40],
                most=str(limit),
            )
        if text and text not in out:
            out.append(text)
    return out


def template_variables(template: str, intent: str = "") -> list[str]:
    """The variables a template uses; ContentError if the braces are malformed."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    except ValueError as exc:
        raise ContentError(
            f"response {template!r} is not a valid template ({exc}); write {{{{ and }}}} "
            "for literal braces",
            "bad_braces",
            key=intent,
            text=template[:60],
        ) from exc
    return fields


def facts_of(catalog_meta: dict[str, Any] | None) -> ShopFacts | None:
    """The shop facts stored with the catalog (None when they cannot be read)."""
    try:
        return ShopFacts.from_dict((catalog_meta or {}).get("shop") or {})
    except ShopError:
        return None


def check_facts(text: str, where: str, facts: ShopFacts | None, **item: str) -> None:
    """Refuse a text that states a shop fact literally: it would go stale when the fact
    changes. The message names the variable to write instead; `item` names the text for the
    console (`kind`: faq or intent, `key`, `lang`)."""
    if facts is None:
        return
    found = hardcoded_facts(text, facts)
    if found:
        raise ContentError(
            f"{where} states the shop's facts literally; write {', '.join(found)} instead, "
            "so the text follows the shop's facts when they change",
            "fact_stated_literally",
            write=", ".join(found),
            **item,
        )


def check_template(template: str, intent: str, facts: ShopFacts | None = None) -> None:
    where = f"intent {intent}: response {template[:40]!r}…"
    check_facts(template, where, facts, kind="intent", key=intent, lang="")
    allowed = ", ".join("{" + v + "}" for v in RESPONSE_VARIABLES)
    for field in template_variables(template, intent):
        if field not in RESPONSE_VARIABLES:
            shown = "{" + field + "}" if field else "{}"
            raise ContentError(
                f"intent {intent}: response {template!r} uses unknown variable {shown}; "
                f"allowed: {allowed}",
                "unknown_variable",
                kind="intent",
                key=intent,
                lang="",
                variable=shown,
                known=allowed,
            )


def validate_intent(
    name: str, data: dict[str, Any], facts: ShopFacts | None = None
) -> dict[str, Any]:
    """The cleaned intent (trimmed, deduplicated examples); ContentError if not valid."""
    _reject_broken_text(data, "intent", name)
    name = check_intent_name(name)
    examples: dict[str, list[str]] = {}
    for lang, items in (data.get("examples") or {}).items():
        texts = _texts(items, _item("intent", name, "examples", str(lang)))
        if texts:
            examples[_lang(lang, "intent", name)] = texts
    if not examples:
        raise ContentError(f"intent {name} needs at least one example", "needs_example")
    responses: dict[str, list[str]] = {}
    for lang, items in (data.get("responses") or {}).items():
        texts = _texts(items, _item("intent", name, "responses", str(lang)), MAX_ANSWER)
        for t in texts:
            check_template(t, name, facts)
        if texts:
            responses[_lang(lang, "intent", name)] = texts
    if responses and name in DIALOGUE_OWNED_INTENTS:
        raise ContentError(
            f"intent {name} is answered by the ordering dialogue; its replies cannot be "
            "replaced by responses (edit its examples only)",
            "dialogue_owned_intent",
            intent=name,
        )
    return {"examples": examples, "responses": responses}


def validate_faq(
    key: str, data: dict[str, Any], default_language: str, facts: ShopFacts | None = None
) -> dict[str, Any]:
    _reject_broken_text(data, "faq", key)
    key = check_key(key, "FAQ entry")
    raw_q = data.get("questions") or {}
    if isinstance(raw_q, list):  # a flat list: the default language's
        raw_q = {default_language: raw_q}
    questions: dict[str, list[str]] = {}
    for lang, items in raw_q.items():
        texts = _texts(items, _item("faq", key, "questions", str(lang)))
        if texts:
            questions[_lang(lang, "faq", key)] = texts
    if not questions:
        raise ContentError(f"FAQ {key} needs at least one question", "needs_question")
    answers: dict[str, str] = {}
    for lang, text in (data.get("answers") or {}).items():
        item = _item("faq", key, "answer", str(lang))
        if not isinstance(text, str):
            raise ContentError(f"FAQ {key}: the answer ({lang}) must be text", "not_text", **item)
        text = text.strip()
        if len(text) > MAX_ANSWER:
            raise ContentError(
                f"FAQ {key}: the answer ({lang}) is longer than {MAX_ANSWER}",
                "text_too_long",
                **item,
                text=text[:40],
                most=str(MAX_ANSWER),
            )
        if text:
            answers[_lang(lang, "faq", key)] = text
            where = f"FAQ {key}: the answer ({lang})"
            check_facts(text, where, facts, kind="faq", key=key, lang=lang)
            unknown = unknown_variables(text)
            if unknown:
                known = ", ".join("{" + v + "}" for v in TEMPLATE_VARIABLES)
                raise ContentError(
                    f"FAQ {key}: the answer ({lang}) uses unknown variable {{{unknown[0]}}}; "
                    f"known: {known}",
                    "unknown_variable",
                    kind="faq",
                    key=key,
                    lang=lang,
                    variable="{" + unknown[0] + "}",
                    known=known,
                )
    if not answers.get(default_language):
        raise ContentError(
            f"FAQ {key} needs an answer in {default_language} (the default language)",
            "needs_answer",
            lang=default_language,
        )
    intent = data.get("intent") or None
    if intent is not None:
        intent = check_intent_name(str(intent))
    tags = [str(t) for t in data.get("tags") or []]
    return {"questions": questions, "answers": answers, "intent": intent, "tags": tags}


def validate_product(
    key: str, data: dict[str, Any], catalog_meta: dict[str, Any], default_language: str
) -> dict[str, Any]:
    _reject_broken_text(data, "product", key)
    key = check_key(key, "product")
    categories = [c["id"] for c in catalog_meta.get("categories") or []]
    category = str(data.get("category") or "")
    if category not in categories:
        raise ContentError(
            f"product {key}: unknown category {category!r} (one of: {', '.join(categories)})",
            "unknown_category",
            product=key,
            category=category,
        )
    names = {
        _lang(lang, "product", key): str(n).strip()
        for lang, n in (data.get("names") or {}).items()
        if str(n or "").strip()
    }
    if not names.get(default_language):
        raise ContentError(
            f"product {key} needs a name in {default_language}", "needs_name", lang=default_language
        )
    prices_in = data.get("prices") or {}
    if not isinstance(prices_in, dict) or not prices_in:
        raise ContentError(
            f"product {key} needs a price (in grosze: 32,90 zł = 3290)", "needs_price"
        )
    sizes = {"default", *(catalog_meta.get("sizes") or {})}
    prices: dict[str, int] = {}
    for size, value in prices_in.items():
        if size not in sizes:
            raise ContentError(
                f"product {key}: unknown size {size!r} (one of: {', '.join(sorted(sizes))})",
                "unknown_size",
                product=key,
                size=str(size),
            )
        if isinstance(value, bool) or not isinstance(value, int):
            raise ContentError(
                f"product {key}: the price ({size}) must be a whole number of grosze "
                f"(32,90 zł = 3290), not {value!r}",
                "bad_grosze",
                product=key,
                size=str(size),
                value=str(value),
            )
        if value < 0:
            raise ContentError(
                f"product {key}: the price ({size}) must not be negative",
                "bad_grosze",
                product=key,
                size=str(size),
                value=str(value),
            )
        prices[str(size)] = value
    if "default" in prices and len(prices) > 1:
        raise ContentError(
            f"product {key}: either one 'default' price or prices per size",
            "default_or_sizes",
            product=key,
        )
    tags = [str(t) for t in data.get("tags") or []]
    unknown = [t for t in tags if t not in TAGS]
    if unknown:
        raise ContentError(
            f"product {key}: unknown tag {unknown[0]!r} (use {', '.join(TAGS)})",
            "unknown_tag",
            product=key,
            tag=unknown[0],
            known=", ".join(TAGS),
        )
    return {
        "category": category,
        "names": names,
        "aliases": _texts(list(data.get("aliases") or []), _item("product", key, "aliases"), 100),
        "descriptions": {
            _lang(lang, "product", key): str(t).strip()
            for lang, t in (data.get("descriptions") or {}).items()
            if str(t or "").strip()
        },
        "allergens": _texts(
            list(data.get("allergens") or []), _item("product", key, "allergens"), 50
        ),
        "prices": prices,
        "available": bool(data.get("available", True)),
        "tags": tags,
    }

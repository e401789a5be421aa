"""Response templates per language (YAML), filled with variables."""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from intents.yamlfile import read_yaml
from knowledge.catalog import Catalog, format_price
from knowledge.shop import ShopFacts

DEFAULT_RESPONSES = Path(__file__).resolve().parent / "responses.yaml"


class Responses:
    def __init__(self, templates: dict[str, dict[str, str]], default_language: str = "pl") -> None:
        self._templates = templates
        self.default_language = default_language
        self._catalog: Catalog | None = None
        # Per language, the facts' values and the facts they were made from: every reply
        # with a {variable} asks, and the facts change only when an operator edits them.
        self._fact_values: dict[str, tuple[ShopFacts, Mapping[str, str]]] = {}

    def use_facts(self, catalog: Catalog) -> None:
        """Fill `{delivery_time}`, `{shop_address}`… from this catalog's shop facts, as they
        are at the moment of each reply (operators edit them live)."""
        self._catalog = catalog

    def fact_values(self, lang: str) -> Mapping[str, str]:
        if self._catalog is None:
            return {}
        facts = self._catalog.facts
        made = self._fact_values.get(lang)
        if made is None or made[0] is not facts:
            values = MappingProxyType(facts.template_values(lang, format_price))
            made = self._fact_values[lang] = (facts, values)
        return made[1]

    @classmethod
    def load(cls, path: Path | None = None, default_language: str = "pl") -> Responses:
        raw = read_yaml(path or DEFAULT_RESPONSES)
        return cls({k: dict(v) for k, v in raw.items()}, default_language)

    def has(self, key: str) -> bool:
        return key in self._templates

    def render(self, key: str, lang: str, **values: object) -> str:
        variants = self._templates[key]
        template = (
            variants.get(lang)
            or variants.get(self.default_language)
            or next(iter(variants.values()))
        )
        filled = {**self.fact_values(lang), **values} if "{" in template else values
        return string.Formatter().vformat(template, (), _Defaulting(filled))


class _Defaulting(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""

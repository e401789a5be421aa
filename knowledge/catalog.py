"""The product catalog: categories, products, sizes and prices (integer grosze)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from intents.yamlfile import read_yaml
from knowledge.shop import ShopError, ShopFacts

DEFAULT_CATALOG = Path(__file__).resolve().parent / "data" / "catalog.yaml"
DEFAULT_SIZE = "default"


class CatalogError(ValueError):
    """The catalog file is not valid; the message says where."""


@dataclass(frozen=True)
class Product:
    id: str
    category: str
    names: dict[str, str]
    prices: dict[str, int]  # size -> grosze; a single "default" size for unsized products
    aliases: tuple[str, ...] = ()
    descriptions: dict[str, str] = field(default_factory=dict)
    allergens: tuple[str, ...] = ()
    available: bool = True
    tags: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.names.get(lang) or next(iter(self.names.values()))

    def description(self, lang: str) -> str:
        return self.descriptions.get(lang) or next(iter(self.descriptions.values()), "")

    @property
    def sized(self) -> bool:
        return DEFAULT_SIZE not in self.prices

    def price(self, size: str | None) -> int:
        if not self.sized:
            return self.prices[DEFAULT_SIZE]
        if size is None or size not in self.prices:
            raise KeyError(f"{self.id} has no size {size!r}")
        return self.prices[size]


@dataclass(frozen=True)
class Category:
    id: str
    names: dict[str, str]

    def name(self, lang: str) -> str:
        return self.names.get(lang) or next(iter(self.names.values()))


@dataclass
class Catalog:
    shop: dict[str, Any]
    sizes: dict[str, dict[str, str]]
    categories: list[Category]
    products: dict[str, Product]
    # The shop section read once per version of it (live edits replace `shop`).
    _facts: tuple[dict[str, Any], ShopFacts] | None = field(default=None, repr=False, compare=False)

    @property
    def facts(self) -> ShopFacts:
        """The shop's facts (hours, area, times, payment, fees, time zone)."""
        if self._facts is None or self._facts[0] is not self.shop:
            self._facts = (self.shop, ShopFacts.from_dict(self.shop))
        return self._facts[1]

    @classmethod
    def load(cls, path: Path | None = None) -> Catalog:
        """Read a catalog YAML file (the demo pizzeria by default)."""
        path = path or DEFAULT_CATALOG
        try:
            raw = read_yaml(path)
        except (OSError, yaml.YAMLError) as exc:
            raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Catalog:
        categories = [Category(c["id"], dict(c["name"])) for c in raw.get("categories", [])]
        known = {c.id for c in categories}
        products: dict[str, Product] = {}
        for p in raw.get("products", []):
            pid = p.get("id")
            if not pid or pid in products:
                raise CatalogError(f"product id missing or duplicated: {pid!r}")
            if p.get("category") not in known:
                raise CatalogError(f"product {pid}: unknown category {p.get('category')!r}")
            prices = {str(k): int(v) for k, v in (p.get("prices") or {}).items()}
            if not prices or any(v < 0 for v in prices.values()):
                raise CatalogError(f"product {pid}: prices must be non-negative grosze")
            tags = tuple(t for t in ("vegetarian", "spicy") if p.get(t))
            products[pid] = Product(
                id=pid,
                category=p["category"],
                names=dict(p["name"]),
                prices=prices,
                aliases=tuple(p.get("aliases") or ()),
                descriptions=dict(p.get("description") or {}),
                allergens=tuple(p.get("allergens") or ()),
                available=bool(p.get("available", True)),
                tags=tags,
            )
        shop = dict(raw.get("shop") or {})
        try:
            ShopFacts.from_dict(shop)
        except ShopError as exc:
            raise CatalogError(f"shop: {exc}") from exc
        return cls(
            shop=shop,
            sizes={k: dict(v) for k, v in (raw.get("sizes") or {}).items()},
            categories=categories,
            products=products,
        )

    def category(self, category_id: str) -> Category | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def in_category(self, category_id: str) -> list[Product]:
        return [p for p in self.products.values() if p.category == category_id and p.available]

    def size_name(self, size: str | None, lang: str) -> str:
        if not size or size == DEFAULT_SIZE:
            return ""
        names = self.sizes.get(size, {})
        return names.get(lang) or size

    def price_list(self, product: Product, lang: str) -> str:
        """A product's prices, each with its size's name ("mała (25 cm) 24,90 zł / średnia
        (32 cm) 32,90 zł / …"): a reader sees which is which. One price alone, unsized."""
        return " / ".join(
            (f"{self.size_name(s, lang)} " if product.sized else "") + format_price(v, lang)
            for s, v in product.prices.items()
        )

    def item_label(self, name: str, size: str | None, lang: str) -> str:
        """One item as every list shows it: "Margherita, duża (42 cm)" — size names carry
        their own brackets, so a size is never put in brackets again."""
        size_name = self.size_name(size, lang)
        return f"{name}, {size_name}" if size_name else name

    def item_labels(
        self, name: str, size: str | None, product_id: str | None = None
    ) -> dict[str, str]:
        """`item_label` in every language the sizes or the product are named in (a page
        that switches language picks one). A product still on the menu is named as the
        catalog names it in each language; `name` (as the customer's language named it
        when ordering) stands for a language it has no name in, or a product since removed."""
        product = self.products.get(product_id) if product_id else None
        names = product.names if product else {}
        langs = dict.fromkeys([*(lang for n in self.sizes.values() for lang in n), *names])
        return {lang: self.item_label(names.get(lang) or name, size, lang) for lang in langs}

    @property
    def delivery_fee(self) -> int:
        return int(self.shop.get("delivery_fee", 0))

    @property
    def min_order_value(self) -> int:
        return int(self.shop.get("min_order_value", 0))

    @property
    def free_delivery_from(self) -> int:
        return int(self.shop.get("free_delivery_from", 0))

    def category_synonyms(self) -> dict[str, list[str]]:
        """Category id -> its names in every language (the NLU adds inflections)."""
        return {c.id: _category_words(c) for c in self.categories}

    def entity_synonyms(self) -> dict[str, list[str]]:
        """Canonical product name -> every way to write it (names in all languages, aliases)."""
        out: dict[str, list[str]] = {}
        for p in self.products.values():
            forms = [*p.names.values(), *p.aliases]
            out[p.id] = list(dict.fromkeys(forms))
        return out


def _category_words(category: Category) -> list[str]:
    return list(dict.fromkeys([category.id, *category.names.values()]))


def format_price(grosze: int, lang: str) -> str:
    """32,90 zł in Polish, PLN 32.90 in English."""
    zl, gr = divmod(abs(grosze), 100)
    sign = "-" if grosze < 0 else ""
    if lang == "pl":
        return f"{sign}{zl},{gr:02d} zł"
    return f"{sign}PLN {zl}.{gr:02d}"

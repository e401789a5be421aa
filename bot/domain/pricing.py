"""Cart pricing, once: a line's price today, a cart's total, delivery fee and minimum order.

Money is integer grosze. A product or size the operator removed since it was added costs
nothing and is left out of an order (`unit_price` is None), never an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from knowledge.catalog import Catalog, format_price

# Per line the customer may ask for at once; a line may grow to MAX_LINE_QUANTITY.
MAX_QUANTITY = 20
MAX_LINE_QUANTITY = MAX_QUANTITY * 5


class Line(Protocol):
    """A cart or order line: what it is and how many."""

    product_id: str
    size: str | None
    quantity: int


class NotedLine(Line, Protocol):
    """A cart line: with what the customer wants done to it ("bez cebuli"), if anything."""

    note: str | None


@dataclass(frozen=True)
class Quote:
    """What an order of these lines costs now, in grosze."""

    subtotal: int
    delivery_fee: int
    missing_for_minimum: int  # > 0: a delivery order below the minimum value

    @property
    def total(self) -> int:
        return self.subtotal + self.delivery_fee


def list_price(catalog: Catalog, product_id: str, size: str | None) -> int | None:
    """The catalog's price of one item, or None when the product or its size is gone."""
    product = catalog.products.get(product_id)
    if product is None:
        return None
    try:
        return product.price(size)
    except KeyError:
        return None


def unit_price(catalog: Catalog, product_id: str, size: str | None) -> int | None:
    """Today's price of one item, or None when it cannot be ordered any more."""
    product = catalog.products.get(product_id)
    if product is None or not product.available:
        return None
    return list_price(catalog, product_id, size)


def quote(catalog: Catalog, subtotal: int, fulfilment: str | None) -> Quote:
    """Delivery fee and minimum order value from the catalog's shop settings."""
    if fulfilment != "delivery":
        return Quote(subtotal, 0, 0)
    free_from = catalog.free_delivery_from
    fee = 0 if free_from and subtotal >= free_from else catalog.delivery_fee
    return Quote(subtotal, fee, max(0, catalog.min_order_value - subtotal))


class CartMaths:
    """Prices and descriptions of cart lines against the live catalog."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def line_price(self, product_id: str, size: str | None) -> int:
        return list_price(self.catalog, product_id, size) or 0

    def total(self, lines: Iterable[Line]) -> int:
        return sum(self.line_price(i.product_id, i.size) * i.quantity for i in lines)

    def describe_line(
        self, product_id: str, size: str | None, quantity: int, lang: str, note: str | None = None
    ) -> str:
        """ "1 × Margherita, duża (42 cm), bez bazylii — 39,90 zł": with what the customer
        wants done to it, so they see it was heard."""
        product = self.catalog.products.get(product_id)
        name = product.name(lang) if product else product_id
        price = self.line_price(product_id, size) * quantity
        label = self.catalog.item_label(name, size, lang) + (f", {note}" if note else "")
        return f"{quantity} × {label} — {format_price(price, lang)}"

    @staticmethod
    def inline(lines: Iterable[str]) -> str:
        """Several lines in one sentence; "; " since a line itself may hold a comma
        ("1 × Margherita, duża (42 cm) — 49,90 zł; 2 × Cola — 10,00 zł")."""
        return "; ".join(lines)

    def describe_cart(self, lines: Iterable[NotedLine], lang: str) -> str:
        return "\n".join(
            "• " + self.describe_line(i.product_id, i.size, i.quantity, lang, i.note) for i in lines
        )

    @property
    def sized(self) -> set[str]:
        return {p.id for p in self.catalog.products.values() if p.sized}

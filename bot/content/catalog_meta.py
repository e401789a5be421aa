"""The catalog's own settings, edited by operators: shop facts, sizes and categories.

Stored as one content setting (`formats.CATALOG_META`), versioned like everything else;
the running bot follows a save within seconds (the catalog's shop facts are read at
every reply), so a changed delivery time shows in the next FAQ answer and confirmation.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import store
from bot.content.descriptions import describe
from bot.content.formats import CATALOG_META
from bot.content.models import ContentVersion
from bot.content.validation import KEY, ContentConflict, ContentError, check_language
from bot.store.models import User
from knowledge.shop import ShopError, ShopFacts

SHOP_KEYS = (
    "name",
    "address",
    "currency",
    "timezone",
    "hours",
    "delivery_area",
    "delivery_minutes",
    "pickup_minutes",
    "payment_methods",
    "delivery_fee",
    "free_delivery_from",
    "min_order_value",
)


def validate_meta(body: dict[str, Any], default_language: str) -> dict[str, Any]:
    """The cleaned shop section, sizes and categories; ContentError says what is wrong."""
    shop = body.get("shop")
    if not isinstance(shop, dict):
        raise ContentError("shop: expected the shop's facts", "shop_not_mapping")
    unknown = sorted(set(shop) - set(SHOP_KEYS))
    if unknown:
        known = ", ".join(SHOP_KEYS)
        raise ContentError(
            f"shop: unknown fact {unknown[0]!r}; known: {known}",
            "unknown_shop_fact",
            fact=unknown[0],
            known=known,
        )
    if not str(shop.get("name") or "").strip():
        raise ContentError("shop: the shop needs a name", "needs_shop_name")
    try:
        ShopFacts.from_dict(shop)
    except ShopError as exc:
        raise ContentError(f"shop: {exc}", exc.code, **exc.params) from exc
    sizes: dict[str, dict[str, str]] = {}
    for key, names in (body.get("sizes") or {}).items():
        if not KEY.match(str(key)) or key == "default":
            raise ContentError(
                f"size id {key!r} is not valid (lowercase letters, digits, - _)",
                "bad_meta_id",
                kind="size",
                id=str(key),
            )
        sizes[str(key)] = _names(names, "size", str(key), default_language)
    categories: list[dict[str, Any]] = []
    for category in body.get("categories") or []:
        cid = str((category or {}).get("id") or "")
        if not KEY.match(cid):
            raise ContentError(
                f"category id {cid!r} is not valid (lowercase letters, digits, - _)",
                "bad_meta_id",
                kind="category",
                id=cid,
            )
        if any(c["id"] == cid for c in categories):
            raise ContentError(f"category {cid!r} is listed twice", "category_twice", id=cid)
        name = _names(category.get("name"), "category", cid, default_language)
        categories.append({"id": cid, "name": name})
    if not categories:
        raise ContentError("the catalog needs at least one category", "needs_category")
    return {"shop": dict(shop), "sizes": sizes, "categories": categories}


def _names(raw: Any, kind: str, key: str, default_language: str) -> dict[str, str]:
    """A size's or category's (`kind`) names per language."""
    where = f"{kind} {key}"
    if not isinstance(raw, dict):
        raise ContentError(f"{where}: expected names per language", "not_names", kind=kind, id=key)
    names = {str(k): str(v).strip() for k, v in raw.items() if str(v).strip()}
    for lang in names:
        check_language(lang, where, kind=kind, key=key, field="names", lang="")
    if not names.get(default_language):
        raise ContentError(
            f"{where} needs a name in {default_language} (the default language)",
            "needs_meta_name",
            kind=kind,
            id=key,
            lang=default_language,
        )
    return names


async def get_meta(session: AsyncSession) -> dict[str, Any]:
    try:
        return await store.get(session, "setting", CATALOG_META)
    except store.NotFound:
        return {"shop": {}, "sizes": {}, "categories": []}


async def put_meta(
    session: AsyncSession, body: dict[str, Any], user: User, default_language: str
) -> ContentVersion | None:
    """Save the shop facts, sizes and categories; a size or category still used by a
    product cannot be removed (409 names the products)."""
    meta = validate_meta(body, default_language)
    snap = await store.snapshot(session)
    sizes = {"default", *meta["sizes"]}
    categories = {c["id"] for c in meta["categories"]}
    for key, product in snap.products.items():
        if product["category"] not in categories:
            raise ContentConflict(
                f"category {product['category']!r} is used by product {key}; move it first",
                "category_in_use",
                id=product["category"],
                product=key,
            )
        missing = set(product["prices"]) - sizes
        if missing:
            size = sorted(missing)[0]
            raise ContentConflict(
                f"size {size!r} is used by product {key}", "size_in_use", id=size, product=key
            )
    return await store.save(
        session, [("setting", CATALOG_META, meta)], user, "save", describe("shop_saved")
    )

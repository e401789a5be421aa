"""Operator edits: validate, then save as one version (used by the admin API and the CLI)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.content import store
from bot.content.descriptions import describe
from bot.content.formats import CATALOG_META, Items
from bot.content.models import ContentVersion
from bot.content.store import Change, Data, NotFound, Snapshot
from bot.content.validation import (
    ContentConflict,
    ContentError,
    check_intent_name,
    check_key,
    facts_of,
    validate_faq,
    validate_intent,
    validate_product,
)
from bot.store.models import User

MIN_INTENTS = 2  # the classifier needs two classes to learn anything


def _one(kind: str, key: str, data: Data | None) -> list[Change]:
    return [(kind, key, data)]


def _catalog_meta(snap: Snapshot) -> dict[str, Any]:
    return snap.settings.get(CATALOG_META) or {"categories": [], "sizes": {}}


async def _facts(session: AsyncSession) -> Any:
    """The stored shop facts, which texts must not state literally."""
    try:
        return facts_of(await store.get(session, "setting", CATALOG_META))
    except NotFound:
        return None


async def put_intent(
    session: AsyncSession, name: str, body: dict[str, Any], user: User
) -> ContentVersion | None:
    """Create or replace an intent; `body["name"]` renames it."""
    name = check_intent_name(name)
    new_name = check_intent_name(str(body.get("name") or name))
    data = validate_intent(new_name, body, await _facts(session))
    changes: list[Change] = []
    if new_name != name:
        snap = await store.snapshot(session)
        if name not in snap.intents:
            raise NotFound("intent", name)
        if new_name in snap.intents:
            raise ContentConflict(
                f"an intent named {new_name!r} already exists", "intent_exists", name=new_name
            )
        changes.append(("intent", name, None))
        summary = describe("intent_renamed", name=name, new_name=new_name)
    else:
        summary = describe("intent_saved", name=name)
    changes.append(("intent", new_name, data))
    return await store.save(session, changes, user, "save", summary)


async def create_intent(
    session: AsyncSession, body: dict[str, Any], user: User
) -> ContentVersion | None:
    """A new intent; an existing name is refused (409), never replaced."""
    name = check_intent_name(str(body.get("name") or ""))
    data = validate_intent(name, body, await _facts(session))
    if name in (await store.snapshot(session)).intents:
        raise ContentConflict(
            f"an intent named {name!r} already exists", "intent_exists", name=name
        )
    summary = describe("intent_added", name=name)
    return await store.save(session, _one("intent", name, data), user, "save", summary)


async def delete_intent(session: AsyncSession, name: str, user: User) -> ContentVersion | None:
    snap = await store.snapshot(session)
    if name not in snap.intents:
        raise NotFound("intent", name)
    if len(snap.intents) <= MIN_INTENTS:
        raise ContentConflict(
            f"the bot needs at least {MIN_INTENTS} intents",
            "too_few_intents",
            most=str(MIN_INTENTS),
        )
    summary = describe("intent_deleted", name=name)
    return await store.save(session, _one("intent", name, None), user, "delete", summary)


def new_key(text: str, taken: set[str]) -> str:
    """A readable id from a question: "Czy macie parking?" -> "czy-macie-parking"."""
    ascii_text = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    ascii_text = ascii_text.encode("ascii", "ignore").decode().lower()
    base = "-".join(re.findall(r"[a-z0-9]+", ascii_text))[:40].strip("-") or "faq"
    key, n = base, 2
    while key in taken:
        key, n = f"{base}-{n}", n + 1
    return key


async def create_faq(
    session: AsyncSession, body: dict[str, Any], user: User, default_language: str
) -> tuple[str, ContentVersion | None]:
    snap = await store.snapshot(session)
    key = body.get("id")
    if key:
        key = check_key(str(key), "FAQ entry")
        if key in snap.faq:
            raise ContentConflict(
                f"an FAQ entry with id {key!r} already exists", "faq_exists", id=key
            )
    else:
        questions = body.get("questions") or []
        first = questions[0] if isinstance(questions, list) and questions else ""
        if isinstance(questions, dict):
            first = next((q for qs in questions.values() for q in qs or []), "")
        key = new_key(str(first), set(snap.faq))
    data = validate_faq(key, body, default_language, await _facts(session))
    summary = describe("faq_added", id=key)
    version = await store.save(session, _one("faq", key, data), user, "save", summary)
    return key, version


async def put_faq(
    session: AsyncSession, key: str, body: dict[str, Any], user: User, default_language: str
) -> ContentVersion | None:
    await store.get(session, "faq", key)
    data = validate_faq(key, body, default_language, await _facts(session))
    summary = describe("faq_saved", id=key)
    return await store.save(session, _one("faq", key, data), user, "save", summary)


async def delete_faq(session: AsyncSession, key: str, user: User) -> ContentVersion | None:
    await store.get(session, "faq", key)
    summary = describe("faq_deleted", id=key)
    return await store.save(session, _one("faq", key, None), user, "delete", summary)


async def put_product(
    session: AsyncSession,
    key: str,
    body: dict[str, Any],
    user: User,
    default_language: str,
    *,
    create: bool,
) -> ContentVersion | None:
    snap = await store.snapshot(session)
    key = check_key(key, "product")
    if create and key in snap.products:
        raise ContentConflict(f"a product with id {key!r} already exists", "product_exists", id=key)
    if not create and key not in snap.products:
        raise NotFound("product", key)
    data = validate_product(key, body, _catalog_meta(snap), default_language)
    summary = describe("product_added" if create else "product_saved", id=key)
    return await store.save(session, _one("product", key, data), user, "save", summary)


async def delete_product(session: AsyncSession, key: str, user: User) -> ContentVersion | None:
    await store.get(session, "product", key)
    summary = describe("product_deleted", id=key)
    return await store.save(session, _one("product", key, None), user, "delete", summary)


async def add_example(
    session: AsyncSession, intent: str, text: str, lang: str, user: User
) -> ContentVersion | None:
    """Append one example (e.g. an unmatched message from analytics) to an intent."""
    current = await store.get(session, "intent", check_intent_name(intent))
    examples = {k: list(v) for k, v in current["examples"].items()}
    examples.setdefault(lang, []).append(text)
    data = validate_intent(intent, {**current, "examples": examples}, await _facts(session))
    summary = describe("example_added", name=intent)
    return await store.save(session, _one("intent", intent, data), user, "save", summary)


async def import_items(
    session: AsyncSession,
    items: Items,
    user: User | None,
    default_language: str,
    *,
    replace: bool = False,
    source: str = "import",
) -> ContentVersion | None:
    """Validate everything first, then save all of it as one version (all or nothing)."""
    snap = await store.snapshot(session)
    meta = (items.get("setting") or {}).get(CATALOG_META) or _catalog_meta(snap)
    facts = facts_of(meta)
    changes: list[Change] = []
    for name, data in (items.get("intent") or {}).items():
        changes.append(("intent", name, validate_intent(name, data, facts)))
    for key, data in (items.get("faq") or {}).items():
        changes.append(("faq", key, validate_faq(key, data, default_language, facts)))
    for key, data in (items.get("product") or {}).items():
        changes.append(("product", key, validate_product(key, data, meta, default_language)))
    for key, data in (items.get("setting") or {}).items():
        changes.append(("setting", key, data))
    if replace:
        for kind, current in (("intent", snap.intents), ("faq", snap.faq),
                              ("product", snap.products)):  # fmt: skip
            if items.get(kind):
                changes += [(kind, k, None) for k in current if k not in items[kind]]
    intents_after = {
        n for n in snap.intents if not any(c[0] == "intent" and c[1] == n and c[2] is None
                                           for c in changes)
    } | set(items.get("intent") or {})  # fmt: skip
    if len(intents_after) < MIN_INTENTS:
        raise ContentError(
            f"the bot needs at least {MIN_INTENTS} intents",
            "too_few_intents",
            most=str(MIN_INTENTS),
        )
    counts = ", ".join(f"{len(v)} {k}" for k, v in items.items() if v and k != "setting")
    summary = describe("imported", source=source, counts=counts)
    return await store.save(session, changes, user, "import", summary)

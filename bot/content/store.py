"""Reading and writing operator content, one version per change, and rolling back.

Every write goes through `save`: it compares each item with what is stored, writes the
items that differ and records one `ContentVersion` with the before/after of each, in
one transaction. `rollback(N)` undoes every later version (itself a new version, so a
rollback can be rolled back too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.content.descriptions import describe, described, item_labels
from bot.content.models import (
    ContentFaqEntry,
    ContentIntent,
    ContentProduct,
    ContentSetting,
    ContentVersion,
)
from bot.content.validation import ContentConflict
from bot.domain.refusals import Refusal
from bot.store.models import User, utcnow

Data = dict[str, Any]
# (kind, key, data or None to delete)
Change = tuple[str, str, Data | None]

_MODELS: dict[str, Any] = {
    "intent": (ContentIntent, "name"),
    "faq": (ContentFaqEntry, "key"),
    "product": (ContentProduct, "key"),
    "setting": (ContentSetting, "key"),
}
_FIELDS = {
    "intent": ("examples", "responses"),
    "faq": ("questions", "answers", "intent", "tags"),
    "product": (
        "category",
        "names",
        "aliases",
        "descriptions",
        "allergens",
        "prices",
        "available",
        "tags",
    ),
}
KINDS = tuple(_MODELS)


class NotFound(Refusal, LookupError):
    """No such intent, FAQ entry, product or version (HTTP 404); `kind` and `key` say which."""

    def __init__(self, kind: str, key: str) -> None:
        shown = key if kind == "version" else repr(key)
        super().__init__(f"no {kind} {shown}", "not_found", kind=kind, key=key)


@dataclass
class Snapshot:
    """All content at one version: {kind: {key: data}}."""

    items: dict[str, dict[str, Data]] = field(default_factory=lambda: {k: {} for k in KINDS})
    version: int = 0
    mark: tuple[int, int] = (0, 0)  # content_mark() as read before the content

    @property
    def intents(self) -> dict[str, Data]:
        return self.items["intent"]

    @property
    def faq(self) -> dict[str, Data]:
        return self.items["faq"]

    @property
    def products(self) -> dict[str, Data]:
        return self.items["product"]

    @property
    def settings(self) -> dict[str, Data]:
        return self.items["setting"]

    def examples(self) -> dict[str, dict[str, list[str]]]:
        """{intent: {lang: [text]}}, the shape NluEngine.retrain() takes."""
        return {
            name: {lang: list(texts) for lang, texts in data["examples"].items() if texts}
            for name, data in sorted(self.intents.items())
        }


def _data(kind: str, row: Any) -> Data:
    if kind == "setting":
        return dict(row.value or {})
    return {f: getattr(row, f) for f in _FIELDS[kind]}


async def _row(session: AsyncSession, kind: str, key: str) -> Any:
    model, column = _MODELS[kind]
    return await session.scalar(select(model).where(getattr(model, column) == key))


def _write(session: AsyncSession, kind: str, key: str, row: Any, data: Data | None) -> None:
    model, column = _MODELS[kind]
    if data is None:
        if row is not None:
            # Deleted rows are flushed before new ones, so a key can be re-created at once.
            session.sync_session.delete(row)
        return
    if row is None:
        row = model(**{column: key})
        session.add(row)
    if kind == "setting":
        row.value = dict(data)
        return
    for f in _FIELDS[kind]:
        setattr(row, f, data.get(f))
    row.updated_at = utcnow()


async def get(session: AsyncSession, kind: str, key: str) -> Data:
    row = await _row(session, kind, key)
    if row is None:
        raise NotFound(kind, key)
    return _data(kind, row)


async def latest_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.max(ContentVersion.id))) or 0)


async def content_mark(session: AsyncSession) -> tuple[int, int]:
    """(highest version number, how many versions): changes with every committed save.

    Versions take their numbers when written but are seen when committed: a save can
    commit after a higher-numbered one was read, which leaves the highest number as it was
    but not the count (versions are never deleted).
    """
    row = (await session.execute(select(func.max(ContentVersion.id), func.count()))).one()
    return int(row[0] or 0), int(row[1])


async def snapshot(session: AsyncSession) -> Snapshot:
    """Everything, with the version it is at; its mark is read before the content, so a
    save that commits meanwhile changes the mark again."""
    mark = await content_mark(session)
    snap = Snapshot(version=mark[0], mark=mark)
    for kind, (model, column) in _MODELS.items():
        for row in await session.scalars(select(model)):
            snap.items[kind][getattr(row, column)] = _data(kind, row)
    return snap


async def save(
    session: AsyncSession,
    changes: list[Change],
    user: User | None,
    action: str,
    summary: str,
    *,
    into_empty: bool = False,
) -> ContentVersion | None:
    """Write what differs and record one version; None when nothing changed.

    `into_empty`: the store holds no content yet (the seed), so no row is looked up."""
    recorded: list[dict[str, Any]] = []
    try:
        for kind, key, after in changes:
            # Reading the next row flushes the previous write: a row another instance
            # created meanwhile fails here, not only at the commit.
            row = None if into_empty else await _row(session, kind, key)
            before = _data(kind, row) if row is not None else None
            if before == after:
                continue
            _write(session, kind, key, row, after)
            if after is None:
                await session.flush()
            recorded.append({"kind": kind, "key": key, "before": before, "after": after})
    except IntegrityError as exc:
        await session.rollback()
        raise ContentConflict(
            "someone else changed the same item at the same moment; reload and try again",
            "changed_meanwhile",
        ) from exc
    if not recorded:
        await session.rollback()
        return None
    version = ContentVersion(
        created_at=utcnow(),
        user_id=user.id if user else None,
        user_email=user.email if user else None,
        action=action,
        summary=summary,
        changes=recorded,
    )
    session.add(version)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise ContentConflict(
            "someone else changed the same item at the same moment; reload and try again",
            "changed_meanwhile",
        ) from exc
    return version


async def seed_if_empty(session: AsyncSession, items: dict[str, dict[str, Data]]) -> bool:
    """Store the default content as version 1 when there is no content yet."""
    if await latest_version(session) > 0:
        return False
    changes: list[Change] = [
        (kind, key, data) for kind in KINDS for key, data in items.get(kind, {}).items()
    ]
    try:
        # One trip for all rows (one lookup per row took most of a first start's seed);
        # an instance seeding meanwhile makes the commit fail, as the lookups would have.
        await save(session, changes, None, "seed", describe("seeded"), into_empty=True)
    except ContentConflict:
        return False  # another instance seeded at the same time
    return True


async def rollback(session: AsyncSession, target: int, user: User | None) -> ContentVersion:
    """Restore the content as it was right after version `target` (a new version)."""
    if await session.get(ContentVersion, target) is None:
        raise NotFound("version", str(target))
    later = list(
        await session.scalars(
            select(ContentVersion).where(ContentVersion.id > target).order_by(ContentVersion.id)
        )
    )
    if not later:
        raise ContentConflict(
            f"version {target} is the current version", "version_is_current", version=str(target)
        )
    restore: dict[tuple[str, str], Data | None] = {}
    for version in later:  # the earliest later change of an item holds its state at `target`
        for change in version.changes:
            restore.setdefault((change["kind"], change["key"]), change["before"])
    changes = [(kind, key, data) for (kind, key), data in restore.items()]
    summary = describe("rolled_back", version=str(target))
    saved = await save(session, changes, user, "rollback", summary)
    if saved is None:
        raise ContentConflict(
            f"the content is already as it was at version {target}",
            "already_at_version",
            version=str(target),
        )
    return saved


def change_list(version: ContentVersion, *, full: bool = False) -> list[dict[str, Any]]:
    """What a version changed: created/updated/deleted per item, FAQ entries and products
    with their labels per language (with before/after if full)."""
    out = []
    for c in version.changes or []:
        op = "created" if c["before"] is None else "deleted" if c["after"] is None else "updated"
        item = {"kind": c["kind"], "key": c["key"], "op": op}
        # Named as the version left it (a deleted item: as it was before).
        if labels := item_labels(c["kind"], c["after"] or c["before"]):
            item["labels"] = labels
        if full:
            item.update(before=c["before"], after=c["after"])
        out.append(item)
    return out


def version_object(version: ContentVersion, *, full: bool = False) -> dict[str, Any]:
    changes = change_list(version, full=full)
    code, params = described(version.summary) or (None, {})
    return {
        "version": version.id,
        "at": version.created_at.isoformat(),
        "user": version.user_email,
        "action": version.action,
        "summary": version.summary,
        # The same in a code and its values, for pages that say it in their own language.
        "summary_code": code,
        "summary_params": params,
        "changes": changes if full or len(changes) <= 20 else changes[:20],
        "change_count": len(changes),
    }


async def history(
    session: AsyncSession, limit: int = 50, before: int | None = None
) -> list[dict[str, Any]]:
    query = select(ContentVersion).order_by(ContentVersion.id.desc()).limit(limit)
    if before is not None:
        query = query.where(ContentVersion.id < before)
    return [version_object(v) for v in await session.scalars(query)]


async def version_detail(session: AsyncSession, version_id: int) -> dict[str, Any]:
    version = await session.get(ContentVersion, version_id)
    if version is None:
        raise NotFound("version", str(version_id))
    return version_object(version, full=True)

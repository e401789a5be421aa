"""The operator API under /api/admin: content (live on save), history, try-it, analytics.

Agents may read (GET); operators and admins edit. Staff bearer tokens only: customers'
web chat tokens and anonymous calls get 401 for everything here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field

from bot.api import schemas
from bot.api.deps import AgentUser, CoreDep, OperatorUser, RowId
from bot.api.schemas import BODY, STAFF, errors
from bot.content import analytics as content_analytics
from bot.content import editor, formats, store
from bot.content.insight import find_conflicts, try_message
from bot.content.live import ContentService
from bot.content.store import NotFound, Snapshot
from bot.content.validation import RESPONSE_VARIABLES, ContentConflict, ContentError
from bot.domain.refusals import Refusal
from bot.store.models import MAX_ROW_ID
from intents.language import detect_language
from intents.text import fold

router = schemas.Router(tags=["admin"], responses=errors(*STAFF, 404, 409, 422))
# Its own router so the app can give uploads a larger body limit (IMPORT_MAX_BYTES).
import_router = schemas.Router(tags=["admin"], responses=errors(*STAFF, 409, *BODY))
IMPORT_PATH = "/api/admin/import"  # its bodies may be IMPORT_MAX_BYTES long (bot.web.edge)


def get_content(request: Request) -> ContentService:
    service: ContentService = request.app.state.content
    return service


@contextmanager
def refusals() -> Iterator[None]:
    """Content errors become 4xx with the validator's message."""
    try:
        yield
    except ContentError as exc:
        raise schemas.Refused(422, exc) from exc
    except ContentConflict as exc:
        raise schemas.Refused(409, exc) from exc
    except NotFound as exc:
        raise schemas.Refused(404, exc) from exc


class IntentBody(BaseModel):
    name: str | None = Field(default=None, description="a new name renames the intent")
    examples: dict[str, list[str]] = Field(default_factory=dict)
    responses: dict[str, list[str]] = Field(default_factory=dict)


class FaqBody(BaseModel):
    id: str | None = None
    questions: list[str] | dict[str, list[str]] = Field(default_factory=list)
    answers: dict[str, str] = Field(default_factory=dict)
    intent: str | None = None
    tags: list[str] = Field(default_factory=list)


class ProductBody(BaseModel):
    id: str | None = None
    category: str = ""
    names: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    descriptions: dict[str, str] = Field(default_factory=dict)
    allergens: list[str] = Field(default_factory=list)
    prices: dict[str, Any] = Field(default_factory=dict)
    available: bool = True
    tags: list[str] = Field(default_factory=list)


class TryBody(BaseModel):
    text: str = Field(min_length=1, max_length=4000)
    lang: str | None = Field(default=None, pattern="^(pl|en)$")


class UnmatchedBody(BaseModel):
    text: str = Field(min_length=1, max_length=500)
    intent: str
    lang: str | None = Field(default=None, pattern="^(pl|en)$")


def _saved(service: ContentService, version: Any, **extra: Any) -> dict[str, Any]:
    number = version.id if version is not None else None
    service.changed(number)
    return {"version": number, "changed": number is not None, **extra}


def _matches(q: str | None, *texts: Any) -> bool:
    if not q:
        return True
    needle = fold(q)
    return any(needle in fold(str(t)) for t in texts)


def _flat(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for v in value.values() for t in _flat(v)]
    if isinstance(value, list):
        return [t for v in value for t in _flat(v)]
    return [str(value)] if value is not None else []


async def _snapshot(core: Any) -> Snapshot:
    async with core.sessions() as session:
        return await store.snapshot(session)


# -- status ------------------------------------------------------------------------------


@router.get("/api/admin/status", response_model=schemas.ContentStatus)
async def status(user: AgentUser, request: Request) -> dict[str, Any]:
    """Saved vs live content version (live = the bot already answers with it)."""
    return {
        **get_content(request).status(),
        "default_language": request.app.state.core.settings.default_language,
        "response_variables": RESPONSE_VARIABLES,
        "role": user.role,
    }


# -- intents -----------------------------------------------------------------------------


@router.get("/api/admin/intents", response_model=schemas.IntentList)
async def list_intents(core: CoreDep, user: AgentUser, q: str | None = None) -> dict[str, Any]:
    snap = await _snapshot(core)
    rows = [
        {
            "name": name,
            "examples": {lang: len(t) for lang, t in data["examples"].items()},
            "responses": {lang: len(t) for lang, t in (data.get("responses") or {}).items()},
            "sample": next(iter(_flat(data["examples"])), ""),
            # One per language: the console previews the intent in the language it is shown in.
            "samples": {lang: texts[0] for lang, texts in data["examples"].items() if texts},
        }
        for name, data in sorted(snap.intents.items())
        if _matches(q, name, *_flat(data["examples"]), *_flat(data.get("responses")))
    ]
    return {"intents": rows, "version": snap.version}


@router.get("/api/admin/intents/{name}", response_model=schemas.IntentOut)
async def get_intent(core: CoreDep, user: AgentUser, name: str) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            data = await store.get(session, "intent", name)
    return {"name": name, **data}


@router.post(
    "/api/admin/intents", status_code=201, response_model=schemas.Saved, responses=errors(*BODY)
)
async def create_intent(
    core: CoreDep, user: OperatorUser, request: Request, body: IntentBody
) -> dict[str, Any]:
    """A new intent (`name` in the body); 409 if one of that name exists."""
    async with core.sessions() as session:
        with refusals():
            version = await editor.create_intent(session, body.model_dump(), user)
    return _saved(get_content(request), version, name=body.name)


@router.put("/api/admin/intents/{name}", response_model=schemas.Saved, responses=errors(*BODY))
async def put_intent(
    core: CoreDep, user: OperatorUser, request: Request, name: str, body: IntentBody
) -> dict[str, Any]:
    """Create or replace an intent's examples and responses (live within ~2 s)."""
    async with core.sessions() as session:
        with refusals():
            version = await editor.put_intent(session, name, body.model_dump(), user)
    return _saved(get_content(request), version, name=body.name or name)


@router.delete("/api/admin/intents/{name}", response_model=schemas.Saved)
async def delete_intent(
    core: CoreDep, user: OperatorUser, request: Request, name: str
) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            version = await editor.delete_intent(session, name, user)
    return _saved(get_content(request), version)


# -- FAQ ---------------------------------------------------------------------------------


@router.get("/api/admin/faq", response_model=schemas.FaqList)
async def list_faq(core: CoreDep, user: AgentUser, q: str | None = None) -> dict[str, Any]:
    snap = await _snapshot(core)
    rows = [
        {"id": key, **data}
        for key, data in snap.faq.items()
        if _matches(q, key, *_flat(data["questions"]), *_flat(data["answers"]))
    ]
    return {"faq": rows, "version": snap.version}


@router.post(
    "/api/admin/faq", status_code=201, response_model=schemas.Saved, responses=errors(*BODY)
)
async def create_faq(
    core: CoreDep, user: OperatorUser, request: Request, body: FaqBody
) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            key, version = await editor.create_faq(
                session, body.model_dump(), user, core.settings.default_language
            )
    return _saved(get_content(request), version, id=key)


@router.get("/api/admin/faq/{key}", response_model=schemas.Keyed)
async def get_faq(core: CoreDep, user: AgentUser, key: str) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            data = await store.get(session, "faq", key)
    return {"id": key, **data}


@router.put("/api/admin/faq/{key}", response_model=schemas.Saved, responses=errors(*BODY))
async def put_faq(
    core: CoreDep, user: OperatorUser, request: Request, key: str, body: FaqBody
) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            version = await editor.put_faq(
                session, key, body.model_dump(), user, core.settings.default_language
            )
    return _saved(get_content(request), version, id=key)


@router.delete("/api/admin/faq/{key}", response_model=schemas.Saved)
async def delete_faq(
    core: CoreDep, user: OperatorUser, request: Request, key: str
) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            version = await editor.delete_faq(session, key, user)
    return _saved(get_content(request), version)


# -- products ----------------------------------------------------------------------------


@router.get("/api/admin/products", response_model=schemas.ProductList)
async def list_products(core: CoreDep, user: AgentUser, q: str | None = None) -> dict[str, Any]:
    snap = await _snapshot(core)
    rows = [
        {"id": key, **data}
        for key, data in snap.products.items()
        if _matches(q, key, data["category"], *_flat(data["names"]), *data["aliases"])
    ]
    meta = snap.settings.get(formats.CATALOG_META) or {}
    return {
        "products": rows,
        "categories": meta.get("categories") or [],
        "sizes": meta.get("sizes") or {},
        "version": snap.version,
    }


@router.post(
    "/api/admin/products", status_code=201, response_model=schemas.Saved, responses=errors(*BODY)
)
async def create_product(
    core: CoreDep, user: OperatorUser, request: Request, body: ProductBody
) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            version = await editor.put_product(
                session, body.id or "", body.model_dump(), user,
                core.settings.default_language, create=True,
            )  # fmt: skip
    return _saved(get_content(request), version, id=body.id)


@router.get("/api/admin/products/{key}", response_model=schemas.Keyed)
async def get_product(core: CoreDep, user: AgentUser, key: str) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            data = await store.get(session, "product", key)
    return {"id": key, **data}


@router.put("/api/admin/products/{key}", response_model=schemas.Saved, responses=errors(*BODY))
async def put_product(
    core: CoreDep, user: OperatorUser, request: Request, key: str, body: ProductBody
) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            version = await editor.put_product(
                session, key, body.model_dump(), user, core.settings.default_language,
                create=False,
            )  # fmt: skip
    return _saved(get_content(request), version, id=key)


@router.delete("/api/admin/products/{key}", response_model=schemas.Saved)
async def delete_product(
    core: CoreDep, user: OperatorUser, request: Request, key: str
) -> dict[str, Any]:
    async with core.sessions() as session:
        with refusals():
            version = await editor.delete_product(session, key, user)
    return _saved(get_content(request), version)


# -- history -----------------------------------------------------------------------------


@router.get("/api/admin/history", response_model=schemas.Versions)
async def history(
    core: CoreDep,
    user: AgentUser,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    before: Annotated[int | None, Query(ge=0, le=MAX_ROW_ID)] = None,
) -> dict[str, Any]:
    """Versions, newest first: who, when, what (created/updated/deleted items)."""
    async with core.sessions() as session:
        return {"versions": await store.history(session, limit, before)}


@router.get("/api/admin/history/{version}", response_model=schemas.Out)
async def version_detail(core: CoreDep, user: AgentUser, version: RowId) -> dict[str, Any]:
    """One version with the before/after of every item it changed."""
    async with core.sessions() as session:
        with refusals():
            return await store.version_detail(session, version)


@router.post("/api/admin/history/{version}/rollback", response_model=schemas.Saved)
async def rollback(
    core: CoreDep, user: OperatorUser, request: Request, version: RowId
) -> dict[str, Any]:
    """Restore the content as it was right after `version` (recorded as a new version)."""
    async with core.sessions() as session:
        with refusals():
            saved = await store.rollback(session, version, user)
    return _saved(get_content(request), saved, restored=version)


# -- try it, conflicts -------------------------------------------------------------------


@router.post("/api/admin/try", response_model=schemas.Out, responses=errors(*BODY))
async def try_it(core: CoreDep, user: AgentUser, body: TryBody) -> dict[str, Any]:
    """What the bot would understand and answer (a dry run; nothing is stored or sent)."""
    return await try_message(core, body.text, body.lang)


@router.get("/api/admin/conflicts", response_model=schemas.Out)
async def conflicts(core: CoreDep, user: AgentUser, request: Request) -> dict[str, Any]:
    """Near-duplicate examples across intents and cross-validation misfits (cached per
    content version; the first call after a change takes a few seconds)."""
    service = get_content(request)
    snap = await _snapshot(core)
    cached = service.conflicts_cache
    if cached and cached.get("version") == snap.version:
        return cached
    encoder = getattr(core.interpreter, "encoder", None)
    encode = encoder.encode if encoder is not None else None
    result = await asyncio.to_thread(find_conflicts, snap.examples(), encode)
    service.conflicts_cache = {**result, "version": snap.version}
    return service.conflicts_cache


# -- import / export ---------------------------------------------------------------------


@router.get(
    "/api/admin/export",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
async def export(
    core: CoreDep,
    user: AgentUser,
    format: Annotated[str, Query(pattern="^(yaml|rasa)$")] = "yaml",
) -> Response:
    """A zip: our YAML (intents/, knowledge/) or Rasa (data/nlu_<lang>.yml, domain.yml)."""
    snap = await _snapshot(core)
    files = formats.export_yaml(snap) if format == "yaml" else formats.export_rasa(snap)
    name = f"omnibot-content-v{snap.version}-{format}.zip"
    return Response(
        formats.to_zip(files),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@import_router.post(IMPORT_PATH, response_model=schemas.Saved)
async def import_content(
    core: CoreDep,
    user: OperatorUser,
    request: Request,
    file: UploadFile,
    replace: bool = False,
) -> dict[str, Any]:
    """A zip or one YAML file (ours or Rasa's); all or nothing, one version.

    `replace=true` also deletes items of the imported kinds that the import lacks.
    """
    settings = core.settings
    data = await file.read(settings.import_max_bytes + 1)
    if len(data) > settings.import_max_bytes:
        most = settings.import_max_bytes
        too_large = Refusal(
            f"the file is larger than {most:,} bytes", "file_too_large", bytes=str(most)
        )
        raise schemas.Refused(413, too_large)
    with refusals():
        if data[:2] == b"PK":
            # Unpacking and YAML parsing are CPU work: off the event loop.
            files = await asyncio.to_thread(
                formats.unzip, data, settings.import_max_files, settings.import_max_unpacked_bytes
            )
        else:
            try:
                files = {file.filename or "import.yaml": data.decode("utf-8")}
            except UnicodeDecodeError as exc:
                raise ContentError(
                    "the file is not UTF-8 text or a zip", "import_not_text"
                ) from exc
        if not files:
            raise ContentError("no YAML files found in the upload", "import_no_yaml")
        async with core.sessions() as session:
            snap = await store.snapshot(session)
            items = await asyncio.to_thread(
                formats.parse_bundle, files, snap, settings.default_language
            )
            version = await editor.import_items(
                session, items, user, core.settings.default_language,
                replace=replace, source=file.filename or "upload",
            )  # fmt: skip
    counts = {kind: len(v) for kind, v in items.items() if v}
    return _saved(get_content(request), version, imported=counts)


# -- analytics ---------------------------------------------------------------------------


@router.get("/api/admin/analytics", response_model=schemas.Out)
async def analytics(
    core: CoreDep, user: AgentUser, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> dict[str, Any]:
    async with core.sessions() as session:
        return await content_analytics.analytics(session, days)


@router.post(
    "/api/admin/analytics/unmatched/add", response_model=schemas.Saved, responses=errors(*BODY)
)
async def add_unmatched(
    core: CoreDep, user: OperatorUser, request: Request, body: UnmatchedBody
) -> dict[str, Any]:
    """Teach the bot an unmatched message: add it as an example of an intent."""
    lang = body.lang or detect_language(body.text) or core.settings.default_language
    async with core.sessions() as session:
        with refusals():
            version = await editor.add_example(session, body.intent, body.text, lang, user)
    return _saved(get_content(request), version, intent=body.intent, lang=lang)

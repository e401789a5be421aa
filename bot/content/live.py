"""Content goes live without a restart: the running bot follows the stored content.

After a save the service is poked (`changed`); one background task reloads the content
and applies what differs: the catalog object the dialogue uses is updated in place and
the NLU gets the new product names; the FAQ index is refitted; the classifier retrains in
a worker thread and swaps in atomically (a message arriving meanwhile is parsed by the
old model). Bursts of saves coalesce into one retrain. Every `POLL_SECONDS` the task
also looks for versions saved by other instances (scale-out): by the highest version number
and the count of versions, so a save that commits after a higher-numbered one is not missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import string
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.content import formats, store
from bot.content.store import Snapshot
from bot.core import Core
from bot.dialogue.keywords import KeywordInterpreter
from bot.dialogue.turn import Turn
from bot.tasks import cancel_and_wait
from knowledge.catalog import Catalog, format_price
from knowledge.faq import FaqIndex

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0


class ContentService:
    """Keeps the running core in step with the stored content."""

    def __init__(self, core: Core, catalogs: list[Catalog]) -> None:
        self.core = core
        self.sessions: async_sessionmaker[AsyncSession] = core.sessions
        # Every Catalog object the running bot holds (the runtime's and the dialogue's).
        self.catalogs = list({id(c): c for c in catalogs}.values())
        self.saved_version = 0
        self.live_version = 0
        self.live_mark = (0, 0)  # store.content_mark() of the content applied
        self.applying = False
        self.last_error: str | None = None
        self.last_apply_seconds = 0.0
        self.last_retrain_seconds = 0.0
        self.replies: dict[str, dict[str, list[str]]] = {}
        self.faq_index: FaqIndex | None = None
        self.conflicts_cache: dict[str, Any] | None = None  # for the last version asked
        self._applied: dict[str, str] = {}
        self._dirty = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: asyncio.Future[None] | None = None  # an apply running in its thread

    # -- lifecycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Seed the store on first start, apply the stored content, follow changes."""
        catalog_path = self.core.settings.catalog_path
        async with self.sessions() as session:
            if await store.latest_version(session) == 0:
                items = await asyncio.to_thread(formats.default_items, catalog_path)
                if await store.seed_if_empty(session, items):
                    log.info("operator content seeded from the YAML files")
        await self.apply_now()
        self.saved_version = max(self.saved_version, self.live_version)
        self._task = asyncio.create_task(self._follow())

    async def stop(self) -> None:
        await cancel_and_wait(self._task)
        # Cancelling does not stop a worker thread: wait until an apply in progress is done,
        # so nothing changes the NLU after the service has stopped.
        if self._in_flight is not None:
            with contextlib.suppress(Exception):
                await self._in_flight

    def changed(self, version: int | None) -> None:
        """A save happened (version None: nothing changed after all)."""
        if version:
            self.saved_version = max(self.saved_version, version)
            self._dirty.set()

    async def settled(self, timeout: float = 10.0) -> bool:
        """Wait until the live content has caught up with the last save."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.live_version >= self.saved_version and not self._dirty.is_set():
                return True
            await asyncio.sleep(0.05)
        return False

    def status(self) -> dict[str, Any]:
        return {
            "saved_version": self.saved_version,
            "live_version": self.live_version,
            "applying": self.applying or self._dirty.is_set(),
            "last_apply_seconds": round(self.last_apply_seconds, 3),
            "last_retrain_seconds": round(self.last_retrain_seconds, 3),
            "last_error": self.last_error,
            "nlu": type(self.core.interpreter).__name__,
        }

    async def catch_up(self) -> bool:
        """Look at the store once; apply the content if anything was saved since the content
        applied (here or on another instance). True if it applied."""
        async with self.sessions() as session:
            mark = await store.content_mark(session)
        if mark == self.live_mark:
            return False
        self.saved_version = max(self.saved_version, mark[0])
        await self.apply_now()
        return True

    async def _follow(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._dirty.wait(), timeout=POLL_SECONDS)
            try:
                if not self._dirty.is_set():
                    await self.catch_up()
                    continue
                self._dirty.clear()
                await self.apply_now()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.exception("applying operator content failed")
                self.last_error = repr(exc)
                await asyncio.sleep(1.0)

    # -- applying -------------------------------------------------------------------------

    async def apply_now(self) -> None:
        """Load the stored content and apply what changed (retraining off the event loop)."""
        async with self._lock:
            async with self.sessions() as session:
                snap = await store.snapshot(session)
            self.applying = True
            started = time.perf_counter()
            self._in_flight = asyncio.ensure_future(asyncio.to_thread(self._apply, snap))
            try:
                await asyncio.shield(self._in_flight)
            finally:
                self.applying = False
            self.last_apply_seconds = time.perf_counter() - started
            self.live_version, self.live_mark = snap.version, snap.mark
            self.last_error = None

    def _apply(self, snap: Snapshot) -> None:
        """Runs in a worker thread; each swap is one reference assignment."""
        catalog_raw = formats.catalog_dict(snap)
        faq_raw = formats.faq_dict(snap)
        fingerprints = {
            part: json.dumps(value, sort_keys=True, ensure_ascii=False)
            for part, value in (("catalog", catalog_raw), ("faq", faq_raw))
        }
        if fingerprints["catalog"] != self._applied.get("catalog"):
            fresh = Catalog.from_dict(catalog_raw)
            for catalog in self.catalogs:
                catalog.shop, catalog.sizes = fresh.shop, fresh.sizes
                catalog.categories, catalog.products = fresh.categories, fresh.products
            current: Any = self.core.interpreter
            if hasattr(current, "set_entities"):
                current.set_entities(fresh.entity_synonyms(), fresh.category_synonyms())
            elif isinstance(current, KeywordInterpreter):
                self.core.interpreter = KeywordInterpreter(fresh.entity_synonyms())
        nlu: Any = self.core.interpreter
        examples = snap.examples()
        faq_changed = fingerprints["faq"] != self._applied.get("faq")
        index = FaqIndex.from_dict(faq_raw) if faq_raw["faq"] else None
        if hasattr(nlu, "retrain") and examples != nlu.examples:
            # The new classifier and the FAQ placed in its feature space swap in together.
            self.last_retrain_seconds = nlu.retrain(examples, faq=index)
            log.info("intents retrained in %.2f s", self.last_retrain_seconds)
        elif faq_changed and hasattr(nlu, "set_faq"):
            nlu.set_faq(index)
        if faq_changed or self.faq_index is None:
            self.faq_index = index
        self._applied = fingerprints
        self.replies = {
            name: {lang: list(t) for lang, t in data["responses"].items() if t}
            for name, data in snap.intents.items()
            if data.get("responses")
        }

    # -- what the dialogue reads (wired into its registry by bot.app) ----------------------

    def current_faq(self) -> FaqIndex | None:
        """The operator-edited FAQ once content is applied (None: the bundled one)."""
        return self.faq_index

    def intent_reply(self, turn: Turn) -> str | None:
        """An operator response for the turn's intent, filled in; None if there is none."""
        by_lang = self.replies.get(turn.intent)
        if not by_lang:
            return None
        default = self.core.settings.default_language
        texts = by_lang.get(turn.lang) or by_lang.get(default) or next(iter(by_lang.values()))
        facts = self.catalogs[0].facts.template_values(turn.lang, format_price)
        values = _Blank(facts, name=turn.customer.name or "")
        return string.Formatter().vformat(random.choice(texts), (), values)


class _Blank(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return ""

"""The composition root: builds the core, the store, the NLU and the channels."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles

from adapters.base import ChannelAdapter
from adapters.webchat import WebchatAdapter
from bot import metrics
from bot.actions.context import Shop
from bot.api import (
    admin,
    admin_shop,
    agent,
    auth,
    customers,
    nlu,
    openapi,
    orders,
    support,
    system,
)
from bot.api.schemas import Refused
from bot.auth import use_hash_settings
from bot.channels import Channels
from bot.content.live import ContentService
from bot.core import Core
from bot.dialogue.assembly import assemble_dialogue
from bot.dialogue.keywords import KeywordInterpreter
from bot.dialogue.responses import Responses
from bot.hub import InProcessHub, RedisHub
from bot.identity import IdentityLinker, LinkLimits
from bot.jsonenc import JsonResponse
from bot.locks import CustomerLocks, InProcessLocks, RedisLocks
from bot.observability import setup_sentry, setup_tracing
from bot.presence import AgentPresence, RedisAgentPresence
from bot.ratelimit import Limiter, Throttled
from bot.reminders import CartReminders
from bot.settings import Settings
from bot.store.db import (
    WalCheckpoints,
    create_engine,
    session_factory,
    sqlite_file,
    upgrade_database,
)
from bot.web import docs, pages
from bot.web.edge import Edge
from intents.text import load_dictionaries
from knowledge.catalog import Catalog

log = logging.getLogger(__name__)

Progress = Callable[[str], None]


@dataclass
class Runtime:
    """Everything the running service is made of, built once per process."""

    settings: Settings
    core: Core
    catalog: Catalog
    content: ContentService
    adapters: list[ChannelAdapter] = field(default_factory=list)
    redis: Any = None
    reminders: CartReminders | None = None
    # What /readyz reports: the model NLU loaded (or keywords chosen), everything started.
    model_loaded: bool = False
    started: bool = False
    presence: AgentPresence = field(default_factory=AgentPresence)
    limiter: Limiter = field(default_factory=Limiter)
    # SQLite: the write-ahead log copied back in the background (see WalCheckpoints).
    checkpoints: WalCheckpoints | None = None
    # The model NLU this runtime loaded (closed with it: its parse worker process stops).
    owned_interpreter: Any = None


def build_runtime(settings: Settings) -> Runtime:
    """Wire the core without touching the network or the disk (that is `start_runtime`)."""
    use_hash_settings(settings)
    url = settings.resolved_database_url()
    sqlite_path = sqlite_file(url)
    engine = create_engine(url, background_checkpoints=sqlite_path is not None)
    sessions = session_factory(engine)
    redis = None
    locks: CustomerLocks
    hub: InProcessHub
    if settings.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
        namespace = settings.resolved_redis_namespace()
        locks = RedisLocks(
            redis,
            namespace,
            ttl_seconds=settings.customer_lock_seconds,
            wait_seconds=settings.customer_lock_wait_seconds,
        )
        hub = RedisHub(redis, namespace)
    else:
        locks, hub = InProcessLocks(), InProcessHub()
    catalog = Catalog.load(settings.catalog_path)
    responses = Responses.load(default_language=settings.default_language)
    responses.use_facts(catalog)
    channels = Channels()
    limiter = Limiter(settings.redis_url, settings.resolved_redis_namespace())
    identity = IdentityLinker(
        responses,
        channels.deep_links,
        channels.phone_channel,
        LinkLimits(
            sms_prefixes=tuple(
                p.strip() for p in settings.sms_code_prefixes.split(",") if p.strip()
            ),
            wrong_codes_per_window=settings.link_wrong_codes_limit,
            wrong_codes_per_requester=settings.link_wrong_codes_per_ip,
            sms_codes_per_requester=settings.sms_codes_per_ip,
            sms_codes_everyone_per_hour=settings.sms_codes_per_hour,
        ),
        limiter,
    )
    shop = Shop(catalog, responses)
    dialogue = assemble_dialogue(
        shop,
        identity=identity,
        action_endpoint=settings.action_endpoint,
        actions_domain=settings.actions_domain,
        max_message_chars=settings.max_message_chars,
    )
    interpreter = KeywordInterpreter(catalog.entity_synonyms())
    namespace = settings.resolved_redis_namespace()
    presence = RedisAgentPresence(redis, namespace) if redis is not None else AgentPresence()
    core = Core(settings, sessions, locks, hub, dialogue, interpreter, channels, presence)
    # Operator-edited content (intents' replies, the FAQ, the catalog) for every caller
    # of build_runtime: the server, `omnibot chat` and the tests alike.
    content = ContentService(core, [catalog])
    dialogue.registry.use_content(content.intent_reply)
    shop.faq = content.current_faq
    runtime = Runtime(
        settings,
        core,
        catalog,
        content,
        redis=redis,
        reminders=CartReminders(core),
        limiter=limiter,
        presence=presence,
        checkpoints=WalCheckpoints(sqlite_path) if sqlite_path is not None else None,
    )
    runtime.adapters.append(WebchatAdapter(core, runtime.limiter))
    if settings.telegram_bot_token:
        from adapters.telegram import TelegramAdapter

        runtime.adapters.append(TelegramAdapter(core, runtime.limiter))
    if settings.twilio_account_sid and settings.twilio_auth_token:
        from adapters.sms import SmsAdapter

        runtime.adapters.append(SmsAdapter(core, runtime.limiter))
    for adapter in runtime.adapters:
        core.register_channel(adapter)
    return runtime


def load_interpreter(runtime: Runtime, progress: Progress | None = None) -> Any:
    """The model-based NLU (slow: loads the encoder), or None to keep keywords."""
    settings = runtime.settings
    if settings.nlu_backend == "keywords":
        return None
    try:
        from intents import NluEngine
    except ImportError:
        log.warning("intents.NluEngine not available; using keyword matching")
        return None
    if progress:
        progress("loading the language model and training intents")
    from knowledge.faq import FaqIndex

    # Logged as well as shown: a first start under a service manager or in a container has
    # no terminal for the spinner, and may take minutes (intents.encoder logs those steps).
    log.info("loading the language model and training the intents…")
    started = time.perf_counter()
    engine = NluEngine.load(
        model=settings.embedding_model,
        cache_dir=settings.cache_dir or settings.data_dir / "cache",
        products=runtime.catalog.entity_synonyms(),
        categories=runtime.catalog.category_synonyms(),
        faq=FaqIndex.load(),
        progress=progress is not None,
        oos_threshold=settings.nlu_oos_threshold,
        default_language=settings.default_language,
        backend=settings.embedding_backend,
        batch_window_ms=settings.nlu_batch_window_ms,
        process=settings.nlu_process,
    )
    runtime.owned_interpreter = engine
    log.info("language model ready in %.0f s", time.perf_counter() - started)
    return engine


async def start_runtime(runtime: Runtime, progress: Progress | None = None) -> None:
    settings = runtime.settings
    if progress:
        progress("applying database migrations")
    await upgrade_database(settings.resolved_database_url())
    if runtime.checkpoints is not None:
        runtime.checkpoints.start()
    hub = runtime.core.hub
    if isinstance(hub, RedisHub):
        await hub.start()
    interpreter = await asyncio.to_thread(load_interpreter, runtime, progress)
    # The dialogue reads words by their lemmas on the event loop: the word lists load here,
    # not in the first customer's turn, with every other customer waiting (3-8 s).
    await asyncio.to_thread(load_dictionaries)
    if interpreter is not None:
        runtime.core.interpreter = interpreter
    await runtime.content.start()
    runtime.model_loaded = interpreter is not None or settings.nlu_backend == "keywords"
    await runtime.core.start()
    for adapter in runtime.adapters:
        await adapter.connect()
    if runtime.reminders is not None:
        runtime.reminders.start()
    runtime.started = True


async def stop_runtime(runtime: Runtime) -> None:
    runtime.started = False
    if runtime.reminders is not None:
        await runtime.reminders.stop()
    # The outbox's pass stops before the channels close their clients: a send it had on
    # its way is left to the next start, never retried here through a client just closed.
    # Answers still running deliver their own replies while the adapters drain them.
    await runtime.core.stop()
    for adapter in runtime.adapters:
        await adapter.disconnect()
    await runtime.content.stop()
    await runtime.core.hub.close()
    if runtime.redis is not None:
        await runtime.redis.aclose()
    await runtime.limiter.close()
    if runtime.owned_interpreter is not None:  # its parse worker stops with it
        await asyncio.to_thread(runtime.owned_interpreter.close)
        runtime.owned_interpreter = None
    engine = runtime.core.sessions.kw["bind"]
    await engine.dispose()
    if runtime.checkpoints is not None:
        await runtime.checkpoints.stop()


def create_app(
    settings: Settings | None = None,
    progress: Progress | None = None,
    on_ready: Callable[[], None] | None = None,
) -> FastAPI:
    """The ASGI app: every route of DESIGN.md's public interface."""
    settings = settings or Settings()
    runtime = build_runtime(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await start_runtime(runtime, progress)
        if on_ready:
            on_ready()
        try:
            yield
        finally:
            await stop_runtime(runtime)
            if tracing is not None:
                await asyncio.to_thread(tracing.shutdown)  # sends the last spans

    app = FastAPI(
        title="Omnibot",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,  # bot.web.docs serves them with local assets under the page policy
        redoc_url=None,
        # Routes without a return type answer through orjson (with one, FastAPI's own
        # pydantic encoder is as fast).
        default_response_class=JsonResponse,
        # Traces go through OpenTelemetry's FastAPI instrumentation (setup_tracing) when
        # configured; FastAPI's own would only look for providers on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.runtime = runtime
    app.state.core = runtime.core
    app.state.content = runtime.content
    app.state.presence = runtime.presence
    app.state.limiter = runtime.limiter
    # Request ids, metrics, access log, security headers, CORS and the body deadline: one
    # pure ASGI middleware (each layer of middleware costs every request its own wrappers).
    # Bodies over the limit are refused (413) while they arrive, before anything parses them.
    app.add_middleware(
        Edge,
        body_timeout=settings.http_body_timeout_seconds,
        max_body_bytes=settings.max_body_bytes,
        larger_bodies={admin.IMPORT_PATH: settings.import_max_bytes},
        sockets_per_address=settings.ws_connections_per_ip,
    )
    tracing = setup_tracing(settings, app)
    setup_sentry(settings)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JsonResponse:
        metrics.HTTP_ERRORS.labels("validation").inc()
        errors = [
            {
                "loc": list(e.get("loc", ())),
                "msg": e.get("msg", ""),
                "type": e.get("type", ""),
                # The limits the kind names (max_length, ge…), for pages that word it themselves.
                **({"params": {k: str(v) for k, v in e["ctx"].items()}} if e.get("ctx") else {}),
            }
            for e in exc.errors()[:10]
        ]
        # What was wrong and where, never the input itself: that may be a whole body, with
        # a customer's session token and words in it.
        log.info("refused %s %s: %s", request.method, request.url.path, errors[:3])
        return JsonResponse(status_code=422, content={"detail": errors})

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> JsonResponse:
        content: dict[str, Any] = {"detail": exc.detail}
        if exc.code:
            content.update(code=exc.code, params=exc.params)
        return JsonResponse(status_code=exc.status_code, content=content, headers=exc.headers)

    @app.exception_handler(Throttled)
    async def throttled(request: Request, exc: Throttled) -> JsonResponse:
        metrics.HTTP_ERRORS.labels("throttled").inc()
        content: dict[str, Any] = {"detail": exc.message}
        if exc.code:
            content.update(code=exc.code, params=exc.params)
        return JsonResponse(
            status_code=429, content=content, headers={"Retry-After": str(exc.retry_after)}
        )

    @app.exception_handler(UnicodeEncodeError)
    async def broken_text(request: Request, exc: UnicodeEncodeError) -> JsonResponse:
        # Lone surrogates from a client cannot be stored; refuse rather than fail.
        metrics.HTTP_ERRORS.labels("broken_text").inc()
        log.info("refused %s %s: invalid characters", request.method, request.url.path)
        return JsonResponse(status_code=422, content={"detail": "text contains invalid characters"})

    # Channels first: a request is matched against the routes in this order (each about
    # 5 µs), and customers' messages are most of the traffic. No two routes share a path.
    for adapter in runtime.adapters:
        router = adapter.router()
        if router is not None:
            app.include_router(router)
    app.include_router(system.router)
    app.include_router(auth.router)
    app.include_router(agent.router)
    app.include_router(support.router)
    app.include_router(customers.router)
    app.include_router(orders.router)
    app.include_router(nlu.router)
    app.include_router(admin.router)
    app.include_router(admin.import_router)
    app.include_router(admin_shop.router)
    app.include_router(pages.router)
    if settings.api_docs:
        app.include_router(docs.router)
        app.mount(docs.ASSETS_URL, StaticFiles(directory=docs.ASSETS), name="docs-assets")
    openapi.install(app)
    return app

"""What operators watch: request ids in every log line, JSON logs, HTTP metrics per route,
open WebSockets, and the optional OpenTelemetry traces and Sentry reports.

A request id is taken from the caller's `X-Request-ID` (a proxy's, when it is sane) or
made here, returned in the response header, written into every log line of the request
and stored with an inbound message, so the delivery of its replies (even a retry from the
outbox minutes later) logs the same id. The request middleware (bot.web.edge) sets it and
calls `record_request` once each request is answered.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import logging
import re
import uuid
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any

from bot import metrics
from bot.settings import Settings

log = logging.getLogger(__name__)
access_log = logging.getLogger("omnibot.access")

REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "omnibot_request_id", default=None
)
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# Probes and scrapes every few seconds: logged only when debugging.
_QUIET_PATHS = ("/healthz", "/readyz", "/metrics")

Scope = MutableMapping[str, Any]


def current_request_id() -> str | None:
    return REQUEST_ID.get()


# A request id is this process's random half and a count: 32 hex digits as a uuid4's, unique
# across instances, without a uuid4's system call on every request and WebSocket frame.
_PROCESS_ID = uuid.uuid4().hex[:16]
_REQUEST_COUNT = itertools.count(1)


def new_request_id(given: str | None = None) -> str:
    if given and _SANE_ID.fullmatch(given):
        return given
    return f"{_PROCESS_ID}{next(_REQUEST_COUNT):016x}"


def record_request(scope: Scope, status: int, seconds: float) -> None:
    """An HTTP request answered: its duration by route and status class, its access log line."""
    route = _route_of(scope)
    metrics.HTTP_SECONDS.labels(scope["method"], route, f"{status // 100}xx").observe(seconds)
    path = scope.get("path", "")
    access_log.log(
        logging.DEBUG if path in _QUIET_PATHS else logging.INFO,
        "%s %s %s %.1f ms",
        scope["method"],
        path,
        status,
        seconds * 1000,
        extra={"client": _client(scope), "route": route, "status": status},
    )


def open_sockets(scope: Scope) -> Any:
    """The gauge of open WebSockets of this kind: /ws/webchat → "webchat", /ws/agent → "agent"."""
    kind = scope.get("path", "").rstrip("/").rsplit("/", 1)[-1] or "other"
    return metrics.WEBSOCKETS_OPEN.labels(kind if len(kind) <= 20 else "other")


def _route_of(scope: Scope) -> str:
    """The route template (`/api/orders/{number}`), never the raw path: the label's values
    stay few whatever URLs clients invent."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return str(client[0]) if client else None


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        return True


_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value if isinstance(value, str | int | float | bool) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(settings: Settings) -> None:
    """Root logging as LOG_FORMAT and LOG_LEVEL say (the CLI calls this once)."""
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s")
        )
    handler.set_name("omnibot")
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == "omnibot":  # ours from an earlier call; others stay
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    if settings.log_level.upper() != "DEBUG":
        # Libraries' routine chatter, quiet unless debugging (their warnings still show):
        # alembic's every step, rasa_sdk's "Registered function for 'action_…'" per action.
        for library in ("alembic", "rasa_sdk"):
            logging.getLogger(library).setLevel(logging.WARNING)


def setup_tracing(settings: Settings, app: Any) -> Any:
    """OpenTelemetry traces of every request to OTEL_EXPORTER_OTLP_ENDPOINT (OTLP/HTTP).

    Returns the tracer provider (shut it down on exit: that flushes the last spans)."""
    if not settings.otel_exporter_otlp_endpoint:
        return None
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        log.error(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: "
            'pip install -e ".[otel]" (the Docker image has it)'
        )
        return None
    endpoint = settings.otel_exporter_otlp_endpoint.rstrip("/") + "/v1/traces"
    provider = TracerProvider(resource=Resource.create({"service.name": "omnibot"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider)
    log.info("sending traces to %s", endpoint)
    return provider


def setup_sentry(settings: Settings) -> bool:
    """Errors (logged exceptions included) reported to SENTRY_DSN."""
    if not settings.sentry_dsn:
        return False
    try:
        import sentry_sdk
    except ImportError:
        log.error(
            'SENTRY_DSN is set but sentry-sdk is not installed: pip install -e ".[sentry]" '
            "(the Docker image has it)"
        )
        return False
    # No request bodies or personal data: customers' messages stay in the shop's database.
    sentry_sdk.init(dsn=settings.sentry_dsn, send_default_pii=False, traces_sample_rate=0.0)
    return True

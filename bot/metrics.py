"""Prometheus metrics (served at GET /metrics)."""

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_IN = Counter("omnibot_messages_in_total", "Inbound customer messages stored", ["channel"])
MESSAGES_OUT = Counter(
    "omnibot_messages_out_total", "Outbound delivery attempts by result", ["channel", "status"]
)
PROCESSING_SECONDS = Histogram(
    "omnibot_message_processing_seconds",
    "From receiving a message to its replies being stored and handed to delivery",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
HTTP_ERRORS = Counter("omnibot_client_errors_total", "Requests refused with a 4xx", ["reason"])

# Latency buckets from a few milliseconds (an NLU parse) to a minute (a stuck delivery).
_SECONDS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

HTTP_SECONDS = Histogram(
    "omnibot_http_request_duration_seconds",
    "HTTP requests by route template (not the raw path), method and status class",
    ["method", "route", "status"],
    buckets=_SECONDS,
)
NLU_SECONDS = Histogram(
    "omnibot_nlu_parse_seconds",
    "Time to understand one message (language, intent, entities)",
    buckets=_SECONDS,
)
TURN_SECONDS = Histogram(
    "omnibot_turn_seconds",
    "One customer message's turn, from taking it under the lock to its commit, per channel",
    ["channel"],
    buckets=_SECONDS,
)
DELIVERY_SECONDS = Histogram(
    "omnibot_outbox_delivery_seconds",
    "From a reply being stored to the channel accepting it, per channel",
    ["channel"],
    buckets=_SECONDS,
)
LOCK_WAIT_SECONDS = Histogram(
    "omnibot_customer_lock_wait_seconds",
    "Waiting for a customer's lock (REDIS_URL)",
    buckets=_SECONDS,
)
LOCK_TIMEOUTS = Counter(
    "omnibot_customer_lock_timeouts_total",
    "Messages that gave up waiting for their customer's lock (left to the holder)",
)
LOCK_LOST = Counter(
    "omnibot_customer_lock_lost_total", "Holds whose lock expired or was taken while they ran"
)
FENCED_COMMITS = Counter(
    "omnibot_fenced_commits_total",
    "Turns refused at commit because a newer lock holder had claimed the customer",
)
WEBSOCKETS_OPEN = Gauge(
    "omnibot_websockets_open", "Open WebSocket connections on this instance", ["kind"]
)
# Read from the database when /metrics is scraped (the same figure on every instance).
OUTBOX_BACKLOG = Gauge(
    "omnibot_outbox_backlog", "Replies and notifications stored but not yet delivered"
)
NLU_WORKER_UP = Gauge(
    "omnibot_nlu_worker_up",
    "1 while a parse worker process parses this instance's messages, 0 while it parses itself",
)
HANDOFFS_WAITING = Gauge("omnibot_handoffs_waiting", "Conversations waiting for a human agent")
OLDEST_HANDOFF_SECONDS = Gauge(
    "omnibot_handoff_oldest_wait_seconds", "How long the longest-waiting customer has waited"
)

"""Prometheus metrics (served at GET /metrics)."""

from prometheus_client import Counter, Histogram

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
